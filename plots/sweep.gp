# A sweep: for every point, the profiled throughput (bars, left axis) and
# energy per sample (points, right axis) of its best mapping; failed points
# have neither. Variables: data (n throughput energy "label"), out, fmt,
# title.
load plotdir.'/common.gp'
set title title noenhanced
set style fill solid 0.7 border -1
set boxwidth 0.7
set logscale y
set logscale y2
set ylabel 'throughput (samples/s)'
set y2label 'energy per sample (mJ)'
set ytics nomirror
set y2tics
set xtics rotate by 35 right font ',8' noenhanced
set bmargin 11
set xrange [-0.6:*]
set key above horizontal
set lmargin 20
plot data using 1:2:xtic(4) with boxes lc rgb '#1f77b4' title 'throughput', \
     data using 1:3 axes x1y2 with points pt 7 ps 1.5 lc rgb '#2ca02c' title 'energy'
