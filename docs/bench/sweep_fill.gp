set terminal pngcairo size 900,500 font 'sans,10' noenhanced
set output 'sweep_fill.png'
set title 'sequential load, 1,000 per tx (or 4 MiB), no sync'
set ylabel 'MB/s'
set xlabel 'value bytes'
set datafile missing '?'
set logscale x 2
set logscale y
set grid
set key top left
plot 'sweep_fill.dat' using 1:2 with linespoints lw 2 title 'larder', 'sweep_fill.dat' using 1:3 with linespoints lw 2 title 'lmdb', 'sweep_fill.dat' using 1:4 with linespoints lw 2 title 'bbolt', 'sweep_fill.dat' using 1:5 with linespoints lw 2 title 'sqlite', 'sweep_fill.dat' using 1:6 with linespoints lw 2 title 'rocksdb'
