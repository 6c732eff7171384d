set terminal pngcairo size 900,500 font 'sans,10' noenhanced
set output 'sweep_read.png'
set title 'random point reads, one read transaction'
set ylabel 'reads/s'
set xlabel 'value bytes'
set datafile missing '?'
set logscale x 2
set logscale y
set grid
set key top left
plot 'sweep_read.dat' using 1:2 with linespoints lw 2 title 'larder', 'sweep_read.dat' using 1:3 with linespoints lw 2 title 'lmdb', 'sweep_read.dat' using 1:4 with linespoints lw 2 title 'bbolt', 'sweep_read.dat' using 1:5 with linespoints lw 2 title 'sqlite', 'sweep_read.dat' using 1:6 with linespoints lw 2 title 'rocksdb'
