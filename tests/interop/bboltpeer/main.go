// bboltpeer: the Go side of LarderDB's interop tests. It writes, dumps, checks and modifies
// bolt files with the real go.etcd.io/bbolt, so that tests/interop_test.cc can compare them with
// what the C++ engine reads and writes.
//
// Build offline against Debian's packaged bbolt:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=/tmp/gocache go build -o bboltpeer main.go
//
// Subcommands:
//
//	gen KIND PATH [-page-size N] [-no-freelist-sync]
//	    KIND is basic, nested, overflow, freed or many. Content is deterministic.
//	dump PATH
//	    Canonical text dump (read-only open), depth-first in cursor order:
//	      B <hex path components joined by '/'> seq=<n>
//	      K <hex bucket path> <hex key> <hex value>
//	check PATH [-no-freelist-sync]
//	    Opens read-write and runs tx.Check(); prints each error and exits 1, else prints OK.
//	modify PATH [-no-freelist-sync]
//	    Deterministic modifications; tests/interop/dump.cc (ModifyDatabase) does the same.
//	stats PATH [PREFIX]
//	    What bbolt's CLI `stats` prints (read-only open): Bucket.Stats() of the top-level
//	    buckets whose name starts with PREFIX, added up with BucketStats.Add, in the CLI's
//	    layout (docs: ../shared/reference/bbolt-format.md section 3).
//	info PATH
//	    PageSize=<db.Info().PageSize> TxID=<tx.ID()> Size=<tx.Size()> of a read transaction.
//	bucketstats PATH
//	    Bucket.Stats() of the root bucket and of every bucket, depth-first in cursor order,
//	    one line each with every field of bolt.BucketStats:
//	      S <hex path, or "root"> BranchPageN=.. BranchOverflowN=.. ... InlineBucketInuse=..
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strings"

	bolt "go.etcd.io/bbolt"
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "bboltpeer: "+format+"\n", args...)
	os.Exit(2)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: bboltpeer gen KIND PATH [-page-size N] [-no-freelist-sync]")
	fmt.Fprintln(os.Stderr, "       bboltpeer dump PATH")
	fmt.Fprintln(os.Stderr, "       bboltpeer check PATH [-no-freelist-sync]")
	fmt.Fprintln(os.Stderr, "       bboltpeer modify PATH [-no-freelist-sync]")
	fmt.Fprintln(os.Stderr, "       bboltpeer stats PATH [PREFIX]")
	fmt.Fprintln(os.Stderr, "       bboltpeer bucketstats PATH")
	fmt.Fprintln(os.Stderr, "       bboltpeer info PATH")
	os.Exit(2)
}

// parseFlags parses flags that may appear anywhere after the subcommand and returns the
// positional arguments.
func parseFlags(args []string, fs *flag.FlagSet) []string {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			die("%v", err)
		}
		args = fs.Args()
		if len(args) > 0 {
			pos = append(pos, args[0])
			args = args[1:]
		}
	}
	return pos
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	pageSize := fs.Int("page-size", 0, "page size of a new file (0: OS page size)")
	noFreelistSync := fs.Bool("no-freelist-sync", false, "do not persist the freelist")
	pos := parseFlags(os.Args[2:], fs)

	switch cmd {
	case "gen":
		if len(pos) != 2 {
			usage()
		}
		gen(pos[0], pos[1], *pageSize, *noFreelistSync)
	case "dump":
		if len(pos) != 1 {
			usage()
		}
		dump(pos[0])
	case "check":
		if len(pos) != 1 {
			usage()
		}
		check(pos[0], *noFreelistSync)
	case "modify":
		if len(pos) != 1 {
			usage()
		}
		modify(pos[0], *noFreelistSync)
	case "stats":
		if len(pos) != 1 && len(pos) != 2 {
			usage()
		}
		prefix := ""
		if len(pos) == 2 {
			prefix = pos[1]
		}
		stats(pos[0], prefix)
	case "info":
		if len(pos) != 1 {
			usage()
		}
		info(pos[0])
	case "bucketstats":
		if len(pos) != 1 {
			usage()
		}
		bucketStats(pos[0])
	default:
		usage()
	}
}

func openRW(path string, pageSize int, noFreelistSync bool) *bolt.DB {
	db, err := bolt.Open(path, 0600, &bolt.Options{
		PageSize:       pageSize,
		NoFreelistSync: noFreelistSync,
		NoSync:         true, // the file content is the same; tests need no durability
	})
	if err != nil {
		die("open %s: %v", path, err)
	}
	return db
}

func closeDB(db *bolt.DB) {
	if err := db.Close(); err != nil {
		die("close: %v", err)
	}
}

// ---------------------------------------------------------------------------------------------
// Deterministic content.

// rng is a 64-bit linear congruential generator with a fixed seed (Knuth's MMIX constants).
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s = r.s*6364136223846793005 + 1442695040888963407
	return r.s >> 11
}

// pattern returns n deterministic bytes derived from seed.
func pattern(seed uint64, n int) []byte {
	r := rng{s: seed*0x9E3779B97F4A7C15 + 1}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.next() >> 17)
	}
	return b
}

func must(err error) {
	if err != nil {
		die("%v", err)
	}
}

func update(db *bolt.DB, fn func(tx *bolt.Tx) error) {
	must(db.Update(fn))
}

// ---------------------------------------------------------------------------------------------
// gen

func gen(kind, path string, pageSize int, noFreelistSync bool) {
	if _, err := os.Stat(path); err == nil {
		die("gen: %s already exists", path)
	}
	db := openRW(path, pageSize, noFreelistSync)
	switch kind {
	case "basic":
		genBasic(db)
	case "nested":
		genNested(db)
	case "overflow":
		genOverflow(db)
	case "freed":
		genFreed(db)
	case "many":
		genMany(db)
	default:
		die("gen: unknown kind %q", kind)
	}
	closeDB(db)
}

func genBasic(db *bolt.DB) {
	update(db, func(tx *bolt.Tx) error {
		for bi, name := range []string{"alpha", "beta", "gamma"} {
			b, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			for i := 0; i < 20*(bi+1); i++ {
				k := fmt.Sprintf("%s-key-%03d", name, i)
				v := fmt.Sprintf("value %d of %s", i*i, name)
				if err := b.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
		}
		// Binary keys, an empty value and a bucket whose name is binary.
		b := tx.Bucket([]byte("beta"))
		if err := b.Put([]byte{0x00}, []byte{0xff, 0x00, 0x7f}); err != nil {
			return err
		}
		if err := b.Put([]byte{0xff, 0xfe, 0x00, 0x01}, []byte{}); err != nil {
			return err
		}
		bin, err := tx.CreateBucket([]byte{0x01, 0x00, 0xff})
		if err != nil {
			return err
		}
		return bin.Put([]byte("k"), []byte("v"))
	})
	update(db, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("alpha"))
		if err := b.SetSequence(17); err != nil {
			return err
		}
		if err := b.Delete([]byte("alpha-key-005")); err != nil {
			return err
		}
		return b.Put([]byte("alpha-key-006"), []byte("replaced"))
	})
}

func genNested(db *bolt.DB) {
	update(db, func(tx *bolt.Tx) error {
		for ti := 0; ti < 3; ti++ {
			top, err := tx.CreateBucket([]byte(fmt.Sprintf("top-%d", ti)))
			if err != nil {
				return err
			}
			if err := top.SetSequence(uint64(1000 + ti)); err != nil {
				return err
			}
			if err := top.Put([]byte("top-value"), []byte(fmt.Sprintf("t%d", ti))); err != nil {
				return err
			}
			for ci := 0; ci < 4; ci++ {
				child, err := top.CreateBucket([]byte(fmt.Sprintf("child-%d", ci)))
				if err != nil {
					return err
				}
				if err := child.SetSequence(uint64(ti*100 + ci)); err != nil {
					return err
				}
				// Odd children are large (many keys, never inline); even ones stay small.
				n := 3
				if ci%2 == 1 {
					n = 400 + 150*ti
				}
				for i := 0; i < n; i++ {
					k := fmt.Sprintf("c%d-%05d", ci, i)
					v := pattern(uint64(ti*1000000+ci*10000+i), 10+i%50)
					if err := child.Put([]byte(k), v); err != nil {
						return err
					}
				}
				for gi := 0; gi < 2; gi++ {
					g, err := child.CreateBucket([]byte(fmt.Sprintf("grandchild-%d", gi)))
					if err != nil {
						return err
					}
					// Sequences near the top of the range, too.
					if err := g.SetSequence(^uint64(0) - uint64(ti*10+ci*2+gi)); err != nil {
						return err
					}
					gn := 2
					if gi == 1 && ci == 3 {
						gn = 600
					}
					for i := 0; i < gn; i++ {
						k := fmt.Sprintf("g%05d", i)
						v := fmt.Sprintf("grand %d/%d/%d/%d", ti, ci, gi, i)
						if err := g.Put([]byte(k), []byte(v)); err != nil {
							return err
						}
					}
				}
			}
		}
		// An empty inline bucket.
		_, err := tx.CreateBucket([]byte("top-empty"))
		return err
	})
	// A second transaction touches some inline buckets so they are rewritten.
	update(db, func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte("top-1")).Bucket([]byte("child-2"))
		if err := c.Put([]byte("c2-late"), []byte("late")); err != nil {
			return err
		}
		_, err := c.NextSequence()
		return err
	})
}

func genOverflow(db *bolt.DB) {
	update(db, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("blobs"))
		if err != nil {
			return err
		}
		for i := 0; i < 6; i++ {
			size := 10000
			if i%2 == 1 {
				size = 100000
			}
			if err := b.Put([]byte(fmt.Sprintf("blob-%02d", i)), pattern(uint64(i), size)); err != nil {
				return err
			}
			if err := b.Put([]byte(fmt.Sprintf("small-%02d", i)), []byte("s")); err != nil {
				return err
			}
		}
		s, err := tx.CreateBucket([]byte("side"))
		if err != nil {
			return err
		}
		return s.Put([]byte("k"), pattern(99, 10000))
	})
	// Replace one large value and delete another, so overflow pages are freed.
	update(db, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("blobs"))
		if err := b.Put([]byte("blob-01"), pattern(101, 10000)); err != nil {
			return err
		}
		return b.Delete([]byte("blob-03"))
	})
}

func genFreed(db *bolt.DB) {
	names := []string{"f0", "f1", "f2", "f3"}
	const total = 5000
	const perTx = 500
	for start := 0; start < total; start += perTx {
		update(db, func(tx *bolt.Tx) error {
			for i := start; i < start+perTx; i++ {
				b, err := tx.CreateBucketIfNotExists([]byte(names[i%len(names)]))
				if err != nil {
					return err
				}
				k := fmt.Sprintf("key-%06d", i)
				if err := b.Put([]byte(k), pattern(uint64(i), 20+i%80)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	// Delete half the keys (every other one), over two transactions.
	for part := 0; part < 2; part++ {
		update(db, func(tx *bolt.Tx) error {
			for i := part; i < total; i += 4 {
				b := tx.Bucket([]byte(names[i%len(names)]))
				if b == nil {
					continue
				}
				if err := b.Delete([]byte(fmt.Sprintf("key-%06d", i*2%total))); err != nil {
					return err
				}
			}
			return nil
		})
	}
	// Delete a whole bucket.
	update(db, func(tx *bolt.Tx) error {
		return tx.DeleteBucket([]byte("f2"))
	})
}

func genMany(db *bolt.DB) {
	const total = 20000
	const perTx = 2000
	r := rng{s: 42}
	for start := 0; start < total; start += perTx {
		// Values are drawn outside the transaction so the sequence does not depend on retries.
		vals := make([][]byte, perTx)
		for i := range vals {
			vals[i] = pattern(r.next(), 8+int(r.next()%120))
		}
		update(db, func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("many"))
			if err != nil {
				return err
			}
			for i := 0; i < perTx; i++ {
				// Interleave the batches across the key space.
				n := (start + i) * 7919 % total
				if err := b.Put([]byte(fmt.Sprintf("k%08d", n)), vals[i]); err != nil {
					return err
				}
			}
			return b.SetSequence(uint64(start + perTx))
		})
	}
	update(db, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("other"))
		if err != nil {
			return err
		}
		return b.Put([]byte("x"), []byte("y"))
	})
}

// ---------------------------------------------------------------------------------------------
// dump

func hexPath(path [][]byte) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = hex.EncodeToString(p)
	}
	return strings.Join(parts, "/")
}

func dumpBucket(w *bufio.Writer, b *bolt.Bucket, path [][]byte) {
	fmt.Fprintf(w, "B %s seq=%d\n", hexPath(path), b.Sequence())
	hp := hexPath(path)
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			if sub := b.Bucket(k); sub != nil {
				child := append(append([][]byte{}, path...), append([]byte{}, k...))
				dumpBucket(w, sub, child)
				continue
			}
		}
		fmt.Fprintf(w, "K %s %s %s\n", hp, hex.EncodeToString(k), hex.EncodeToString(v))
	}
}

func dump(path string) {
	if _, err := os.Stat(path); err != nil {
		die("dump: %v", err)
	}
	db, err := bolt.Open(path, 0600, &bolt.Options{ReadOnly: true})
	if err != nil {
		die("open %s: %v", path, err)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	err = db.View(func(tx *bolt.Tx) error {
		c := tx.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			b := tx.Bucket(k)
			if b == nil {
				return fmt.Errorf("top-level key %x is not a bucket", k)
			}
			dumpBucket(w, b, [][]byte{append([]byte{}, k...)})
		}
		return nil
	})
	must(err)
	must(w.Flush())
	closeDB(db)
}

// ---------------------------------------------------------------------------------------------
// check

func check(path string, noFreelistSync bool) {
	if _, err := os.Stat(path); err != nil {
		die("check: %v", err)
	}
	db := openRW(path, 0, noFreelistSync)
	n := 0
	err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			fmt.Println(err)
			n++
		}
		return nil
	})
	must(err)
	closeDB(db)
	if n > 0 {
		os.Exit(1)
	}
	fmt.Println("OK")
}

// ---------------------------------------------------------------------------------------------
// modify
//
// The same steps, in the same order, are in ModifyDatabase (tests/interop/dump.cc):
//
// Transaction 1:
//   - Collect every bucket path, depth-first in cursor order (a bucket before its children).
//   - For bucket number bi in that order: collect its non-bucket keys in order and delete those
//     at index i with i%3 == 0; then put keys "mod-000".."mod-009" with values
//     "modified <i> in bucket <bi>"; then NextSequence() once.
//   - In the first top-level bucket put "mod-big" = 20000 bytes, byte j = (j*7 + 3) % 251.
// Transaction 2 (top = top-level bucket names in order, collected first):
//   - no top-level bucket: create top-level "interop-new" with key "k" = "v".
//   - else: in top[0] CreateBucketIfNotExists("interop-new"), put "n-000".."n-099" =
//     "new value <i>", SetSequence(42), and in it CreateBucketIfNotExists("inner") with
//     "k" = "v".
//   - more than one top-level bucket: DeleteBucket(top[last]).

func bigValue() []byte {
	v := make([]byte, 20000)
	for j := range v {
		v[j] = byte((j*7 + 3) % 251)
	}
	return v
}

func collectPaths(tx *bolt.Tx) [][][]byte {
	var out [][][]byte
	var walk func(b *bolt.Bucket, path [][]byte)
	walk = func(b *bolt.Bucket, path [][]byte) {
		out = append(out, path)
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if v != nil {
				continue
			}
			if sub := b.Bucket(k); sub != nil {
				walk(sub, append(append([][]byte{}, path...), append([]byte{}, k...)))
			}
		}
	}
	c := tx.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		walk(tx.Bucket(k), [][]byte{append([]byte{}, k...)})
	}
	return out
}

func bucketAt(tx *bolt.Tx, path [][]byte) *bolt.Bucket {
	b := tx.Bucket(path[0])
	for _, p := range path[1:] {
		if b == nil {
			return nil
		}
		b = b.Bucket(p)
	}
	return b
}

func modify(path string, noFreelistSync bool) {
	if _, err := os.Stat(path); err != nil {
		die("modify: %v", err)
	}
	db := openRW(path, 0, noFreelistSync)
	update(db, func(tx *bolt.Tx) error {
		paths := collectPaths(tx)
		for bi, p := range paths {
			b := bucketAt(tx, p)
			if b == nil {
				return fmt.Errorf("bucket %s vanished", hexPath(p))
			}
			var keys [][]byte
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if v == nil && b.Bucket(k) != nil {
					continue
				}
				keys = append(keys, append([]byte{}, k...))
			}
			for i, k := range keys {
				if i%3 == 0 {
					if err := b.Delete(k); err != nil {
						return err
					}
				}
			}
			for i := 0; i < 10; i++ {
				k := fmt.Sprintf("mod-%03d", i)
				v := fmt.Sprintf("modified %d in bucket %d", i, bi)
				if err := b.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
			if _, err := b.NextSequence(); err != nil {
				return err
			}
		}
		if len(paths) > 0 {
			return tx.Bucket(paths[0][0]).Put([]byte("mod-big"), bigValue())
		}
		return nil
	})
	update(db, func(tx *bolt.Tx) error {
		var top [][]byte
		c := tx.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			top = append(top, append([]byte{}, k...))
		}
		if len(top) == 0 {
			b, err := tx.CreateBucket([]byte("interop-new"))
			if err != nil {
				return err
			}
			return b.Put([]byte("k"), []byte("v"))
		}
		first := tx.Bucket(top[0])
		nb, err := first.CreateBucketIfNotExists([]byte("interop-new"))
		if err != nil {
			return err
		}
		for i := 0; i < 100; i++ {
			if err := nb.Put([]byte(fmt.Sprintf("n-%03d", i)), []byte(fmt.Sprintf("new value %d", i))); err != nil {
				return err
			}
		}
		if err := nb.SetSequence(42); err != nil {
			return err
		}
		inner, err := nb.CreateBucketIfNotExists([]byte("inner"))
		if err != nil {
			return err
		}
		if err := inner.Put([]byte("k"), []byte("v")); err != nil {
			return err
		}
		if len(top) > 1 {
			return tx.DeleteBucket(top[len(top)-1])
		}
		return nil
	})
	closeDB(db)
}

// ---------------------------------------------------------------------------------------------
// stats, bucketstats

func openRO(path string) *bolt.DB {
	if _, err := os.Stat(path); err != nil {
		die("%v", err)
	}
	db, err := bolt.Open(path, 0600, &bolt.Options{ReadOnly: true})
	if err != nil {
		die("open %s: %v", path, err)
	}
	return db
}

// percent is the CLI's int(float32(a)*100/float32(b)), 0 when b is 0.
func percent(a, b int) int {
	if b == 0 {
		return 0
	}
	return int(float32(a) * 100.0 / float32(b))
}

func stats(path, prefix string) {
	db := openRO(path)
	var s bolt.BucketStats
	count := 0
	must(db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if bytes.HasPrefix(name, []byte(prefix)) {
				s.Add(b.Stats())
				count++
			}
			return nil
		})
	}))
	closeDB(db)
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(w, "Aggregate statistics for %d buckets\n\n", count)
	fmt.Fprintln(w, "Page count statistics")
	fmt.Fprintf(w, "\tNumber of logical branch pages: %d\n", s.BranchPageN)
	fmt.Fprintf(w, "\tNumber of physical branch overflow pages: %d\n", s.BranchOverflowN)
	fmt.Fprintf(w, "\tNumber of logical leaf pages: %d\n", s.LeafPageN)
	fmt.Fprintf(w, "\tNumber of physical leaf overflow pages: %d\n", s.LeafOverflowN)
	fmt.Fprintln(w, "Tree statistics")
	fmt.Fprintf(w, "\tNumber of keys/value pairs: %d\n", s.KeyN)
	fmt.Fprintf(w, "\tNumber of levels in B+tree: %d\n", s.Depth)
	fmt.Fprintln(w, "Page size utilization")
	fmt.Fprintf(w, "\tBytes allocated for physical branch pages: %d\n", s.BranchAlloc)
	fmt.Fprintf(w, "\tBytes actually used for branch data: %d (%d%%)\n", s.BranchInuse,
		percent(s.BranchInuse, s.BranchAlloc))
	fmt.Fprintf(w, "\tBytes allocated for physical leaf pages: %d\n", s.LeafAlloc)
	fmt.Fprintf(w, "\tBytes actually used for leaf data: %d (%d%%)\n", s.LeafInuse,
		percent(s.LeafInuse, s.LeafAlloc))
	fmt.Fprintln(w, "Bucket statistics")
	fmt.Fprintf(w, "\tTotal number of buckets: %d\n", s.BucketN)
	fmt.Fprintf(w, "\tTotal number on inlined buckets: %d (%d%%)\n", s.InlineBucketN,
		percent(s.InlineBucketN, s.BucketN))
	fmt.Fprintf(w, "\tBytes used for inlined buckets: %d (%d%%)\n", s.InlineBucketInuse,
		percent(s.InlineBucketInuse, s.LeafInuse))
	must(w.Flush())
}

func statsLine(w *bufio.Writer, name string, s bolt.BucketStats) {
	fmt.Fprintf(w, "S %s BranchPageN=%d BranchOverflowN=%d LeafPageN=%d LeafOverflowN=%d "+
		"KeyN=%d Depth=%d BranchAlloc=%d BranchInuse=%d LeafAlloc=%d LeafInuse=%d "+
		"BucketN=%d InlineBucketN=%d InlineBucketInuse=%d\n", name,
		s.BranchPageN, s.BranchOverflowN, s.LeafPageN, s.LeafOverflowN, s.KeyN, s.Depth,
		s.BranchAlloc, s.BranchInuse, s.LeafAlloc, s.LeafInuse, s.BucketN, s.InlineBucketN,
		s.InlineBucketInuse)
}

func bucketStats(path string) {
	db := openRO(path)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	var walk func(b *bolt.Bucket, path [][]byte)
	walk = func(b *bolt.Bucket, path [][]byte) {
		statsLine(w, hexPath(path), b.Stats())
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if v != nil {
				continue
			}
			if sub := b.Bucket(k); sub != nil {
				walk(sub, append(append([][]byte{}, path...), append([]byte{}, k...)))
			}
		}
	}
	must(db.View(func(tx *bolt.Tx) error {
		// The root bucket: the cursor of a transaction walks it.
		statsLine(w, "root", tx.Cursor().Bucket().Stats())
		c := tx.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			walk(tx.Bucket(k), [][]byte{append([]byte{}, k...)})
		}
		return nil
	}))
	must(w.Flush())
	closeDB(db)
}

func info(path string) {
	db := openRO(path)
	must(db.View(func(tx *bolt.Tx) error {
		fmt.Printf("PageSize=%d TxID=%d Size=%d\n", db.Info().PageSize, tx.ID(), tx.Size())
		return nil
	}))
	closeDB(db)
}
