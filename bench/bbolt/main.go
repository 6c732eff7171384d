// bench_bbolt: the comparison workloads of bench/workload.h on Go bbolt (Debian's
// golang-github-coreos-bbolt-dev, 1.3.6), one bucket, default options (fill percent 0.5).
// Non-durable workloads set NoSync; durable ones use bbolt's default (two syncs per commit);
// concurrent durable writers use db.Batch (bbolt's group commit). Keys, orders and output are
// those of bench/workload.cc; keep the two in step.
//
// Build offline against Debian's packaged bbolt (bench/run.sh does this):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=/tmp/gocache go build -o bench_bbolt main.go
package main

import (
	"errors"
	"flag"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketName = []byte("bench")

const poolSize = 128 << 10

var pool = func() []byte {
	p := make([]byte, poolSize)
	state := uint64(42)
	for i := range p {
		p[i] = byte('a' + nextRandom(&state)%26)
	}
	return p
}()

func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func nextRandom(state *uint64) uint64 {
	*state += 0x9e3779b97f4a7c15
	z := *state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func permute(i, n, seed uint64) uint64 {
	if n <= 1 {
		return 0
	}
	b := 64 - bits.LeadingZeros64(n-1)
	if b < 2 {
		b = 2
	}
	if b&1 != 0 {
		b++
	}
	half := uint(b / 2)
	mask := uint64(1)<<half - 1
	x := i
	for {
		l, r := x>>half, x&mask
		for round := uint64(0); round < 4; round++ {
			t := l ^ (mix(r^(seed*0x100000001b3+round)) & mask)
			l, r = r, t
		}
		x = l<<half | r
		if x < n {
			return x
		}
	}
}

func key(i uint64) []byte {
	k := make([]byte, 16)
	for b := 15; b >= 0; b-- {
		k[b] = byte('0' + i%10)
		i /= 10
	}
	return k
}

func valueFor(i, size, salt uint64) []byte {
	off := (i*97 + salt*13) % (poolSize / 2)
	return pool[off : off+size]
}

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(2)
}

func check(err error, what string) {
	if err != nil {
		die("%s: %v", what, err)
	}
}

type config struct {
	workload, dir                                 string
	n, ops, valueSize, commits, sweepBytes, batch uint64
	threads                                       int
	seconds                                       float64
}

func (c *config) print(workload string, ops uint64, secs float64, writeOps uint64) {
	fmt.Printf("{\"engine\":\"bbolt\",\"workload\":\"%s\",\"n\":%d,\"value_size\":%d,\"ops\":%d,"+
		"\"seconds\":%.6f,\"write_ops\":%d}\n", workload, c.n, c.valueSize, ops, secs, writeOps)
}

// load writes keyOf(0..count) in transactions of batch puts.
func load(db *bolt.DB, count, batch, valueSize, salt uint64, keyOf func(uint64) uint64) {
	for start := uint64(0); start < count; start += batch {
		end := start + batch
		if end > count {
			end = count
		}
		check(db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketName)
			for j := start; j < end; j++ {
				idx := keyOf(j)
				if err := b.Put(key(idx), valueFor(idx, valueSize, salt)); err != nil {
					return err
				}
			}
			return nil
		}), "load")
	}
}

func checkLen(v []byte, want int, idx uint64) {
	got := -1
	if v != nil {
		got = len(v)
	}
	if got != want {
		die("key %d: value length %d, want %d", idx, got, want)
	}
}

func run(c *config) {
	w := c.workload
	durable := w == "durable" || w == "durable8"
	check(os.MkdirAll(c.dir, 0755), "mkdir")
	db, err := bolt.Open(filepath.Join(c.dir, "bbolt.db"), 0644, nil)
	check(err, "open")
	defer db.Close()
	db.NoSync = !durable
	check(db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketName)
		return err
	}), "create bucket")
	n, vs := c.n, c.valueSize

	switch w {
	case "fill_seq", "fill_rnd":
		t0 := time.Now()
		load(db, n, c.batch, vs, 0, func(j uint64) uint64 {
			if w == "fill_rnd" {
				return permute(j, n, 1)
			}
			return j
		})
		c.print(w, n, time.Since(t0).Seconds(), 0)
	case "read_tx", "read_txper":
		rng := uint64(7)
		t0 := time.Now()
		if w == "read_tx" {
			check(db.View(func(tx *bolt.Tx) error {
				b := tx.Bucket(bucketName)
				for i := uint64(0); i < c.ops; i++ {
					idx := nextRandom(&rng) % n
					checkLen(b.Get(key(idx)), int(vs), idx)
				}
				return nil
			}), "view")
		} else {
			for i := uint64(0); i < c.ops; i++ {
				idx := nextRandom(&rng) % n
				check(db.View(func(tx *bolt.Tx) error {
					checkLen(tx.Bucket(bucketName).Get(key(idx)), int(vs), idx)
					return nil
				}), "view")
			}
		}
		c.print(w, c.ops, time.Since(t0).Seconds(), 0)
	case "scan":
		// Full passes, each in its own read transaction, until c.ops entries were read.
		passes := (c.ops + n - 1) / n
		if passes < 1 {
			passes = 1
		}
		var total uint64
		t0 := time.Now()
		for pass := uint64(0); pass < passes; pass++ {
			var count, size uint64
			check(db.View(func(tx *bolt.Tx) error {
				cur := tx.Bucket(bucketName).Cursor()
				for k, v := cur.First(); k != nil; k, v = cur.Next() {
					count++
					size += uint64(len(v))
				}
				return nil
			}), "scan")
			if count != n || size != n*vs {
				die("scan saw %d entries", count)
			}
			total += count
		}
		c.print("scan", total, time.Since(t0).Seconds(), 0)
	case "read_while_write":
		var stop, written uint64
		done := make(chan struct{})
		go func() {
			rng := uint64(11)
			for atomic.LoadUint64(&stop) == 0 {
				load(db, c.batch, c.batch, vs, 1, func(uint64) uint64 { return nextRandom(&rng) % n })
				atomic.AddUint64(&written, c.batch)
			}
			close(done)
		}()
		rng := uint64(13)
		var reads uint64
		t0 := time.Now()
		secs := 0.0
		for {
			idx := nextRandom(&rng) % n
			check(db.View(func(tx *bolt.Tx) error {
				checkLen(tx.Bucket(bucketName).Get(key(idx)), int(vs), idx)
				return nil
			}), "view")
			reads++
			if reads&255 == 0 {
				if secs = time.Since(t0).Seconds(); secs >= c.seconds {
					break
				}
			}
		}
		wrote := atomic.LoadUint64(&written)
		atomic.StoreUint64(&stop, 1)
		<-done
		c.print(w, reads, secs, wrote)
	case "overwrite", "delete":
		del := w == "delete"
		ops := c.ops
		if ops > n {
			ops = n
		}
		seed := uint64(3)
		if del {
			seed = 5
		}
		t0 := time.Now()
		for start := uint64(0); start < ops; start += c.batch {
			end := start + c.batch
			if end > ops {
				end = ops
			}
			check(db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket(bucketName)
				for j := start; j < end; j++ {
					idx := permute(j, n, seed)
					var err error
					if del {
						err = b.Delete(key(idx))
					} else {
						err = b.Put(key(idx), valueFor(idx, vs, 2))
					}
					if err != nil {
						return err
					}
				}
				return nil
			}), w)
		}
		secs := time.Since(t0).Seconds()
		first := permute(0, n, seed)
		check(db.View(func(tx *bolt.Tx) error {
			want := int(vs)
			if del {
				want = -1
			}
			checkLen(tx.Bucket(bucketName).Get(key(first)), want, first)
			return nil
		}), "verify")
		c.print(w, ops, secs, 0)
	case "durable", "durable8":
		threads := 1
		if w == "durable8" {
			threads = c.threads
		}
		per := c.commits / uint64(threads)
		var done uint64
		t0 := time.Now()
		var wg sync.WaitGroup
		for t := 0; t < threads; t++ {
			wg.Add(1)
			go func(t uint64) {
				defer wg.Done()
				for j := uint64(0); j < per && time.Since(t0).Seconds() < c.seconds; j++ {
					idx := permute(t*per+j, per*uint64(threads), 9)
					fn := func(tx *bolt.Tx) error {
						return tx.Bucket(bucketName).Put(key(idx), valueFor(idx, vs, 0))
					}
					if threads > 1 {
						check(db.Batch(fn), "batch")
					} else {
						check(db.Update(fn), "update")
					}
					atomic.AddUint64(&done, 1)
				}
			}(uint64(t))
		}
		wg.Wait()
		c.print(w, atomic.LoadUint64(&done), time.Since(t0).Seconds(), 0)
	case "sweep":
		count := c.sweepBytes / vs
		if count > n {
			count = n
		}
		if count < 64 {
			count = 64
		}
		batch := (uint64(4) << 20) / vs
		if batch > c.batch {
			batch = c.batch
		}
		if batch < 1 {
			batch = 1
		}
		t0 := time.Now()
		load(db, count, batch, vs, 0, func(j uint64) uint64 { return j })
		c.print("sweep_fill", count, time.Since(t0).Seconds(), 0)
		rng := uint64(17)
		t0 = time.Now()
		check(db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketName)
			for i := uint64(0); i < count; i++ {
				idx := nextRandom(&rng) % count
				checkLen(b.Get(key(idx)), int(vs), idx)
			}
			return nil
		}), "sweep read")
		c.print("sweep_read", count, time.Since(t0).Seconds(), 0)
	default:
		check(errors.New(w), "unknown workload")
	}
}

func main() {
	var c config
	flag.StringVar(&c.workload, "workload", "", "workload name")
	flag.StringVar(&c.dir, "dir", "", "data directory")
	flag.Uint64Var(&c.n, "n", 0, "keys in the database")
	flag.Uint64Var(&c.ops, "ops", 0, "operations")
	flag.Uint64Var(&c.valueSize, "value-size", 100, "value bytes")
	flag.Uint64Var(&c.commits, "commits", 2000, "durable commits")
	flag.IntVar(&c.threads, "threads", 8, "durable8 writer threads")
	flag.Float64Var(&c.seconds, "seconds", 3, "read_while_write duration; durable time cap")
	flag.Uint64Var(&c.sweepBytes, "sweep-bytes", 64<<20, "sweep: value bytes to load")
	flag.Uint64Var(&c.batch, "batch", 1000, "puts per write transaction")
	flag.Parse()
	if c.workload == "" || c.dir == "" || c.n == 0 {
		die("usage: bench_bbolt --workload W --dir D --n N [--ops M] ...")
	}
	if c.valueSize == 0 || c.valueSize > 65536 {
		die("--value-size must be 1..65536")
	}
	if c.ops == 0 {
		c.ops = c.n
	}
	run(&c)
}
