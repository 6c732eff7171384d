set terminal pngcairo size 1100,520 font 'sans,10' noenhanced
set output 'rss_main.png'
set title 'peak RSS of the read workloads, 1.00M keys'
set ylabel 'MiB'
set yrange [0:*]
set datafile missing '?'
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top right
set xtics rotate by -25
set grid ytics
plot 'rss_main.dat' using 2:xtic(1) title 'larder', 'rss_main.dat' using 3 title 'lmdb', 'rss_main.dat' using 4 title 'bbolt', 'rss_main.dat' using 5 title 'sqlite', 'rss_main.dat' using 6 title 'rocksdb'
