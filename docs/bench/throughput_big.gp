set terminal pngcairo size 1100,520 font 'sans,10' noenhanced
set output 'throughput_big.png'
set title 'ops/s, 10.00M keys of 16+100 B (median)'
set ylabel 'ops/s (log)'
set logscale y
set datafile missing '?'
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top right
set xtics rotate by -25
set grid ytics
plot 'throughput_big.dat' using 2:xtic(1) title 'larder', 'throughput_big.dat' using 3 title 'lmdb', 'throughput_big.dat' using 4 title 'bbolt'
