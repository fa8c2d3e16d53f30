# A sweep: the profiled best throughput and energy per sample of every
# point, one bar per point. Variables: data (n throughput energy "label"),
# out, fmt, title.
load plotdir.'/common.gp'
set multiplot layout 2,1 title title
set style fill solid 0.8 border -1
set boxwidth 0.7
set logscale y
set xtics rotate by 30 right font ',8' noenhanced
set ylabel 'throughput (samples/s)'
set xtics format ''
plot data using 1:2 with boxes lc rgb '#1f77b4' notitle
set ylabel 'energy per sample (mJ)'
plot data using 1:3:xtic(4) with boxes lc rgb '#2ca02c' notitle
unset multiplot
