# seed-chart.gp — draws bench/container.sh's tables as the bar chart the seed's
# article would have shown: fib(35) split into start-up, run and shutdown per
# runtime, next to the seed's own per-run totals under Docker, and hello's
# whole-process time beside it.
#
# Called by container.sh as
#   gnuplot -e "fibdata='F'; hellodata='H'; outfile='O'; subtitle='S'" seed-chart.gp
# F: label, start-up, run, shutdown, total, the seed's total (ms; "-" for none);
# H: label, wall time (ms). Times span 10 µs to 9 s, so the fib panel is on a
# log scale, and its bars are grouped rather than stacked (a stack on a log
# axis would misstate every segment but the first).

if (!exists("fibdata")) fibdata = 'bench/out/seed/fib-chart.dat'
if (!exists("hellodata")) hellodata = 'bench/out/seed/hello-chart.dat'
if (!exists("outfile")) outfile = 'bench/out/seed/performance-seed.png'
if (!exists("subtitle")) subtitle = ''

set terminal pngcairo size 1500,760 font 'DejaVu Sans,11' noenhanced
set output outfile
set datafile separator '\t'
set datafile missing '-'

c_start = '#4c72b0'
c_run = '#dd8452'
c_stop = '#55a868'
c_total = '#8c8c8c'
c_seed = '#c44e52'

# Value labels: 1234 ms -> "1.23 s", 12.3 ms -> "12.3 ms", 0.123 ms -> "123 µs".
fmt(ms) = ms >= 1000 ? sprintf('%.2f s', ms / 1000) : \
          ms >= 10 ? sprintf('%.0f ms', ms) : \
          ms >= 1 ? sprintf('%.1f ms', ms) : sprintf('%.0f µs', ms * 1000)

set multiplot title "The seed's measurement, wasmbox vs native and the seed's Docker figures\n" . subtitle

# ---- fib(35): start-up, run, shutdown, total per runtime ---------------------
set origin 0, 0
set size 0.70, 0.93
set title 'fib(35) (seed fibonacci.rs): start-up, run, shutdown and total, median per run'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 1
set logscale y
set yrange [0.01:60000]
set ytics ('10 µs' 0.01, '100 µs' 0.1, '1 ms' 1, '10 ms' 10, '100 ms' 100, '1 s' 1000, '10 s' 10000)
set ylabel 'time per run (log scale)'
set grid ytics lc rgb '#dddddd'
set key top left Left reverse samplen 2
set xtics nomirror scale 0 font ',9'
set offsets 0, 0, 0, 0
set bmargin 4
# Bar j of N = 4 in cluster i sits at i + (j - 1.5) / 5 (gap 1).
bx(i, j) = i + (j - 1.5) / 5.0

plot fibdata using 2:xtic(1) title 'start-up (launch to "Starting")' lc rgb c_start, \
     '' using 3 title 'run ("Starting" to "Stopped")' lc rgb c_run, \
     '' using 4 title 'shutdown ("Stopped" to exit)' lc rgb c_stop, \
     '' using 5 title 'total (median of the sums)' lc rgb c_total, \
     '' using ($0):6:(0.5) with boxes lc rgb c_seed title "the seed's total per run under Docker", \
     for [j=0:3] '' using (bx($0, j)):j+2:(fmt(column(j+2))) with labels rotate by 90 left \
        offset 0,0.4 font (j == 3 ? ',9' : ',8') notitle, \
     '' using ($0):6:(fmt($6)) with labels offset 0,0.8 font ',10' notitle

# ---- hello: whole-process wall time -------------------------------------------
# The dashed line is the container path's budget: `run hello.wasm` (row 3) + 1 ms.
set origin 0.70, 0
set size 0.30, 0.93
set title 'hello (seed main.rs): whole process'
unset logscale y
set ytics auto
set format y '%g ms'
set ylabel 'wall time'
set style histogram clustered gap 1
set boxwidth 0.7
unset key
set bmargin 5
set xtics font ',9'
stats hellodata using 2 nooutput
hmax = STATS_max
stats hellodata every ::2::2 using 2 nooutput
budget = STATS_max + 1
set yrange [0:(budget > hmax ? budget : hmax) * 1.2]
set arrow 1 from graph 0, first budget to graph 1, first budget nohead dt 2 lw 1.5 lc rgb c_seed
set label 1 'FILE.wasm + 1 ms budget' at graph 0.03, first budget offset 0,0.7 font ',9' tc rgb c_seed
plot hellodata using 2:xtic(1) lc rgb c_total, \
     '' using ($0):2:(sprintf('%.2f ms', $2)) with labels offset 0,0.8 font ',10' notitle

unset multiplot
