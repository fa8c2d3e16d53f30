# Copies of each weight layer in the best point, beside the balance
# heuristic. Variables: data (layer best balance "name"), out, fmt, title,
# has_balance.
load plotdir.'/common.gp'
set title title noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xlabel 'weight layer'
set ylabel 'replication (copies)'
set logscale y
set yrange [0.8:*]
set xtics rotate by 90 right font ',7'
set key top right
if (has_balance) {
  plot data using 2:xtic(1) title 'best point' lc rgb '#1f77b4', \
       '' using 3 title 'balance heuristic' lc rgb '#ff7f0e'
} else {
  plot data using 2:xtic(1) title 'best point' lc rgb '#1f77b4'
}
