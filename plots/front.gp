# The Pareto front of a tune: throughput against energy per sample, the
# analytic front coloured by latency, the profiled points on top.
# Variables: data (index 0 front, index 1 profiled points), out, fmt, title.
load plotdir.'/common.gp'
set title title noenhanced
set xlabel 'throughput (samples/s)'
set ylabel 'energy per sample (mJ)'
set cblabel 'latency (ms)'
set logscale xy
set palette rgbformulae 33,13,10
set key bottom left box opaque
# One latency only (a one-point front): give the colour bar a range.
stats data index 0 using 3 nooutput
if (STATS_min == STATS_max) set cbrange [STATS_min * 0.9 : STATS_max * 1.1 + 1e-9]
plot data index 0 using 1:2:3 with points pt 7 ps 1.2 lc palette title 'front (analytic estimate)', \
     data index 1 using 1:2 with points pt 6 ps 2 lc rgb 'black' title 'profiled', \
     data index 1 using 1:2:4 with labels offset 1,0.6 left font ',8' notitle
