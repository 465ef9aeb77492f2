package experiments

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"unsafe"

	"github.com/kvplace/kvplace/sim"
)

// Key kinds a KeySpec can generate.
const (
	Uniform = "uniform" // "key:<16 hex digits>", each a different random-looking key
	Tagged  = "tagged"  // "user:{<tag>}:<n>", Tags distinct hash tags
)

// A KeySpec describes the keys of an experiment: generated from a seed and streamed (never
// stored, so 10⁸ keys cost no memory), or read from a file with one key per line, such as
// the output of `redis-cli --scan`.
type KeySpec struct {
	Count int64   `json:"count"`          // number of keys to generate
	Kind  string  `json:"kind"`           // Uniform or Tagged
	Tags  int     `json:"tags,omitempty"` // distinct hash tags, for Tagged
	Seed  uint64  `json:"seed"`           // the same seed gives the same keys
	Zipf  float64 `json:"zipf,omitempty"` // request weight of the i-th key is 1/i^Zipf; 0 for equal weights
	File  string  `json:"file,omitempty"` // read keys from this file instead of generating them
	// Size is how big the keys are; none by default. With Size.File equal to File, each key
	// has the size its own line gives ("KEY BYTES [TYPE ELEMENTS]").
	Size SizeSpec `json:"size"`
}

// ownSizes reports whether the keys come with their own sizes, from File.
func (k KeySpec) ownSizes() bool {
	return k.File != "" && k.Size.Dist == SizeFile && k.Size.File == k.File
}

// Validate reports a spec that cannot produce keys, naming the faulty field.
func (k KeySpec) Validate() error {
	if k.File != "" {
		if _, err := os.Stat(k.File); err != nil {
			return fmt.Errorf("keys: %w", err)
		}
	} else {
		if k.Count <= 0 {
			return fmt.Errorf("keys: count %d: at least one key is needed", k.Count)
		}
		switch k.Kind {
		case Uniform:
		case Tagged:
			if k.Tags <= 0 {
				return fmt.Errorf("keys: %d tags: tagged keys need at least one tag", k.Tags)
			}
		default:
			return fmt.Errorf("keys: kind %q: want %q or %q", k.Kind, Uniform, Tagged)
		}
	}
	if k.Zipf < 0 || math.IsNaN(k.Zipf) || math.IsInf(k.Zipf, 0) {
		return fmt.Errorf("keys: zipf exponent %v: it must be a finite number ≥ 0", k.Zipf)
	}
	return k.Size.Validate()
}

// String describes the keys for tables and legends.
func (k KeySpec) String() string {
	var s string
	switch {
	case k.File != "":
		s = "keys from " + k.File
	case k.Kind == Tagged:
		s = fmt.Sprintf("%s keys in %d hash tags", count(k.Count), k.Tags)
	default:
		s = fmt.Sprintf("%s %s keys", count(k.Count), k.Kind)
	}
	if k.Zipf > 0 {
		s += fmt.Sprintf(", Zipf(%g) requests", k.Zipf)
	}
	switch {
	case k.ownSizes():
		s += ", each its own size"
	case k.Size.Sized():
		s += ", sizes " + k.Size.String()
	}
	return s
}

func count(n int64) string {
	switch {
	case n >= 1e6 && n%1e6 == 0:
		return strconv.FormatInt(n/1e6, 10) + "M"
	case n >= 1e3 && n%1e3 == 0:
		return strconv.FormatInt(n/1e3, 10) + "k"
	}
	return strconv.FormatInt(n, 10)
}

const hexDigits = "0123456789abcdef"

// appendKey appends the i-th generated key of k to b.
func (k KeySpec) appendKey(b []byte, i int64) []byte {
	r := sim.Mix64(k.Seed ^ sim.Mix64(uint64(i)+0x9e3779b97f4a7c15))
	if k.Kind == Tagged {
		b = append(b, "user:{"...)
		b = strconv.AppendUint(b, r%uint64(k.Tags), 10)
		b = append(b, "}:"...)
		return strconv.AppendInt(b, i, 10)
	}
	b = append(b, "key:"...)
	for s := 60; s >= 0; s -= 4 {
		b = append(b, hexDigits[r>>s&15])
	}
	return b
}

// Key returns the i-th generated key (0-based).
func (k KeySpec) Key(i int64) string { return string(k.appendKey(nil, i)) }

// weight returns the request weight of the i-th key (0-based).
func (k KeySpec) weight(i int64) float64 {
	if k.Zipf == 0 {
		return 1
	}
	if k.Zipf == 1 { // the default, and math.Pow is a tenth of a movement pass
		return 1 / float64(i+1)
	}
	return math.Pow(float64(i+1), -k.Zipf)
}

// A batch is a run of keys visited by one worker: either generated indexes [lo, hi) or keys
// read from a file (whose first index is lo).
type batch struct {
	seq    int
	lo, hi int64
	lines  []string
	sizes  []int64 // each line's own size, when the file gives them
}

// each calls fn for every key of the batch with its request weight and its size (0 when
// keys have none), drawn by sz. The key string is only valid during the call.
func (k KeySpec) each(b batch, sz *sizer, fn func(key string, weight float64, size int64)) {
	if b.lines != nil {
		for j, line := range b.lines {
			i := b.lo + int64(j)
			size := int64(0)
			if b.sizes != nil {
				size = b.sizes[j]
			} else if sz != nil {
				size = sz.of(i)
			}
			fn(line, k.weight(i), size)
		}
		return
	}
	buf := make([]byte, 0, 64)
	for i := b.lo; i < b.hi; i++ {
		buf = k.appendKey(buf[:0], i)
		size := int64(0)
		if sz != nil {
			size = sz.of(i)
		}
		fn(unsafe.String(unsafe.SliceData(buf), len(buf)), k.weight(i), size)
	}
}

// sizer prepares the draws of the keys' sizes: nil when they have none or bring their own.
func (k KeySpec) sizer() (*sizer, error) {
	if !k.Size.Sized() || k.ownSizes() {
		return nil, nil
	}
	return k.Size.newSizer(k.Seed)
}

// batchSize is the number of keys per batch: large enough to amortise scheduling, small
// enough to show progress and balance two cores.
const batchSize = 1 << 16

// batches sends the spec's batches, numbered in order, then closes out. Errors reading a
// file are returned after out is closed.
func (k KeySpec) batches(out chan<- batch) error {
	defer close(out)
	if k.File == "" {
		seq := 0
		for lo := int64(0); lo < k.Count; lo += batchSize {
			out <- batch{seq: seq, lo: lo, hi: min(lo+batchSize, k.Count)}
			seq++
		}
		return nil
	}
	f, err := os.Open(k.File)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	defer f.Close()
	if k.ownSizes() {
		return readSizedKeyLines(f, k.File, out)
	}
	return readKeyLines(f, k.File, out)
}

// readSizedKeyLines sends the keys of a size file's "KEY BYTES [TYPE ELEMENTS]" lines with
// their sizes, in batches as readKeyLines does.
func readSizedKeyLines(f io.Reader, name string, out chan<- batch) error {
	var (
		b     batch
		index int64
	)
	flush := func() {
		if len(b.lines) > 0 {
			b.lo, b.hi = index, index+int64(len(b.lines))
			out <- b
			index = b.hi
			b = batch{seq: b.seq + 1}
		}
	}
	err := readSizeFile(f, name, func(key string, e SizedKey) error {
		if e.Summary {
			return fmt.Errorf("keys: %s is a redis-cli summary, which names only the biggest key of each type; keys with their own sizes need KEY BYTES lines", name)
		}
		b.lines = append(b.lines, key)
		b.sizes = append(b.sizes, e.Bytes)
		if len(b.lines) == batchSize {
			flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	flush()
	return nil
}

// readKeyLines sends the lines of f (named name in errors), one key each, in batches of
// batchSize numbered in order: a line ends at "\n" or "\r\n", the last one may lack it, and
// an empty line is the empty key, which Redis allows. A reader with no line is an error.
func readKeyLines(f io.Reader, name string, out chan<- batch) error {
	r := bufio.NewReaderSize(f, 1<<20)
	var (
		lines []string
		seq   int
		index int64
	)
	for {
		line, err := r.ReadString('\n')
		if len(line) > 0 {
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			lines = append(lines, line)
		}
		if len(lines) == batchSize || (errors.Is(err, io.EOF) && len(lines) > 0) {
			out <- batch{seq: seq, lo: index, hi: index + int64(len(lines)), lines: lines}
			index += int64(len(lines))
			seq++
			lines = nil
		}
		if errors.Is(err, io.EOF) {
			if index == 0 {
				return fmt.Errorf("keys: %s holds no keys", name)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("keys: reading %s: %w", name, err)
		}
	}
}
