# Shared by every script: the terminal from fmt ('png' or 'svg') and out.
if (fmt eq 'svg') {
  set terminal svg size 800,560 dynamic enhanced font 'Helvetica,12' background rgb 'white'
} else {
  set terminal pngcairo size 800,560 enhanced font 'Helvetica,11'
}
set output out
set grid lc rgb '#dddddd'
set key noenhanced
