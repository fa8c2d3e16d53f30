# Crossbar utilisation of each core on the chip's mesh (chip 0), for the
# best point. Cells without a core are grey. Variables: data (x y percent),
# out, fmt, title, nx, ny.
load plotdir.'/common.gp'
set title title noenhanced
set xlabel 'core x'
set ylabel 'core y'
set cblabel 'crossbar utilisation (busy AG-time / mapped AG-time)'
set xrange [-0.5:nx-0.5]
set yrange [ny-0.5:-0.5]
set cbrange [0:*]
set palette defined (0 '#f7fbff', 1 '#6baed6', 2 '#08306b')
set clip two
set size ratio -1
set style fill solid
plot data using 1:2:($3 < 0 ? NaN : $3) with image notitle, \
     data using 1:2:($3 < 0 ? 0.5 : NaN):(0.5) with boxxy lc rgb '#bbbbbb' notitle
