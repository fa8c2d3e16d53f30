# Convergence: the best of each searched objective against evaluations,
# one panel per objective. Variables: data, out, fmt, title, nobj, names
# (space separated "name[unit]").
load plotdir.'/common.gp'
set multiplot layout nobj,1 title title noenhanced
set xlabel 'evaluations'
do for [k=1:nobj] {
  set ylabel word(names, k) noenhanced
  plot data using 1:(column(k+2)) with steps lw 2 lc rgb '#1f77b4' notitle
}
unset multiplot
