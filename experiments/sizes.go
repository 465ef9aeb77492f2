package experiments

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kvplace/kvplace/sim"
)

// Size distributions a SizeSpec can draw from. A key's size is the memory Redis holds it
// in, as MEMORY USAGE reports it, in bytes.
const (
	SizeFixed     = "fixed"     // every key Bytes
	SizeLogNormal = "lognormal" // median Bytes, Sigma the standard deviation of ln(size)
	SizePareto    = "pareto"    // at least Bytes, P(size > x) = (Bytes/x)^Alpha: a heavy tail
	SizeFile      = "file"      // as in File (see readSizeFile)
)

// MaxKeyBytes is the largest size drawn: proto-max-bulk-len's default, 512 MB, the
// largest string a client can write in one command.
const MaxKeyBytes = 512 << 20

// A SizeSpec is how big keys are. The zero value gives keys no size: experiments then
// count keys only.
type SizeSpec struct {
	Dist  string  `json:"dist"`
	Bytes float64 `json:"bytes,omitempty"`
	Sigma float64 `json:"sigma,omitempty"`
	Alpha float64 `json:"alpha,omitempty"`
	File  string  `json:"file,omitempty"`
}

// Sized reports whether keys have sizes.
func (z SizeSpec) Sized() bool { return z.Dist != "" }

// ParseSize reads a size distribution as flags give it: "fixed:BYTES",
// "lognormal:MEDIAN:SIGMA", "pareto:MIN:ALPHA" or "file:PATH"; "" or "none" is no sizes.
// BYTES, MEDIAN and MIN take Redis's memory units (1k = 1000, 1kb = 1024, m, mb, g, gb).
func ParseSize(s string) (SizeSpec, error) {
	if s == "" || s == "none" {
		return SizeSpec{}, nil
	}
	dist, rest, _ := strings.Cut(s, ":")
	args := strings.Split(rest, ":")
	bad := func(want string) (SizeSpec, error) {
		return SizeSpec{}, fmt.Errorf("size %q: want %s", s, want)
	}
	var z SizeSpec
	var err error
	switch dist {
	case SizeFixed:
		if rest == "" || len(args) != 1 {
			return bad("fixed:BYTES")
		}
		z = SizeSpec{Dist: dist}
		if z.Bytes, err = parseBytes(args[0]); err != nil {
			return SizeSpec{}, fmt.Errorf("size %q: %w", s, err)
		}
	case SizeLogNormal, SizePareto:
		want := "lognormal:MEDIAN:SIGMA (e.g. lognormal:1kb:1.5)"
		if dist == SizePareto {
			want = "pareto:MIN:ALPHA (e.g. pareto:100:1.2)"
		}
		if len(args) != 2 {
			return bad(want)
		}
		z = SizeSpec{Dist: dist}
		if z.Bytes, err = parseBytes(args[0]); err != nil {
			return SizeSpec{}, fmt.Errorf("size %q: %w", s, err)
		}
		x, err := strconv.ParseFloat(args[1], 64)
		if err != nil {
			return bad(want)
		}
		if dist == SizeLogNormal {
			z.Sigma = x
		} else {
			z.Alpha = x
		}
	case SizeFile:
		if rest == "" {
			return bad("file:PATH")
		}
		z = SizeSpec{Dist: dist, File: rest}
	default:
		return bad("fixed:BYTES, lognormal:MEDIAN:SIGMA, pareto:MIN:ALPHA or file:PATH")
	}
	return z, z.Validate()
}

// parseBytes reads a size with Redis's memory units (memtoull): b, k, kb, m, mb, g, gb.
func parseBytes(s string) (float64, error) {
	units := []struct {
		suffix string
		mul    float64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1e3}, {"m", 1e6}, {"g", 1e9}, {"b", 1}}
	num, mul := strings.ToLower(s), 1.0
	for _, u := range units {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mul = n, u.mul
			break
		}
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || x <= 0 || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%q is not a size in bytes (a positive number, with k, kb, m, mb, g or gb)", s)
	}
	return x * mul, nil
}

// String is the spec as ParseSize reads it.
func (z SizeSpec) String() string {
	g := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	switch z.Dist {
	case "":
		return "none"
	case SizeFixed:
		return "fixed:" + g(z.Bytes)
	case SizeLogNormal:
		return "lognormal:" + g(z.Bytes) + ":" + g(z.Sigma)
	case SizePareto:
		return "pareto:" + g(z.Bytes) + ":" + g(z.Alpha)
	}
	return "file:" + z.File
}

// Validate reports a spec that cannot give sizes, naming the faulty setting.
func (z SizeSpec) Validate() error {
	switch z.Dist {
	case "":
		return nil
	case SizeFixed, SizeLogNormal, SizePareto:
		if !(z.Bytes >= 1 && z.Bytes <= MaxKeyBytes) {
			return fmt.Errorf("size %s: want 1 to %d bytes (proto-max-bulk-len)", z, MaxKeyBytes)
		}
	case SizeFile:
		if _, err := os.Stat(z.File); err != nil {
			return fmt.Errorf("size: %w", err)
		}
		return nil
	default:
		return fmt.Errorf("size: distribution %q: want fixed, lognormal, pareto or file", z.Dist)
	}
	if z.Dist == SizeLogNormal && !(z.Sigma >= 0 && z.Sigma <= 10) {
		return fmt.Errorf("size %s: sigma %g: want 0 to 10", z, z.Sigma)
	}
	if z.Dist == SizePareto && !(z.Alpha > 0 && z.Alpha <= 100) {
		return fmt.Errorf("size %s: alpha %g: want more than 0, at most 100 (below 1 the mean is infinite but for the 512 MB cap)", z, z.Alpha)
	}
	return nil
}

// A sizer gives the i-th generated key its size: the same for the same seed and i, drawn
// without holding any key. draw is nil when keys have no size.
type sizer struct {
	spec  SizeSpec
	seed  uint64
	table []int64 // SizeFile: every size the file gives, sorted
}

// newSizer prepares z's draws for keys generated from seed: a file is read once here.
func (z SizeSpec) newSizer(seed uint64) (*sizer, error) {
	s := &sizer{spec: z, seed: seed}
	if z.Dist == SizeFile {
		f, err := os.Open(z.File)
		if err != nil {
			return nil, fmt.Errorf("size: %w", err)
		}
		defer f.Close()
		err = readSizeFile(f, z.File, func(_ string, e SizedKey) error {
			s.table = append(s.table, e.Bytes)
			return nil
		})
		if err != nil {
			return nil, err
		}
		slices.Sort(s.table)
	}
	return s, nil
}

// of is the size of key i: a uniform draw from a hash of the seed and i, through the
// distribution's inverse CDF (an empirical one's sorted sizes for a file).
func (s *sizer) of(i int64) int64 {
	if s == nil || s.spec.Dist == "" {
		return 0
	}
	r := sim.Mix64(s.seed ^ 0x243f6a8885a308d3 ^ sim.Mix64(uint64(i)+0x13198a2e03707344))
	u := (float64(r>>11) + 0.5) / (1 << 53) // in (0, 1)
	var x float64
	switch s.spec.Dist {
	case SizeFixed:
		x = s.spec.Bytes
	case SizeLogNormal:
		x = s.spec.Bytes * math.Exp(s.spec.Sigma*math.Sqrt2*math.Erfinv(2*u-1))
	case SizePareto:
		x = s.spec.Bytes * math.Pow(u, -1/s.spec.Alpha)
	case SizeFile:
		return s.table[int(u*float64(len(s.table)))]
	}
	return int64(math.Round(min(max(x, 1), MaxKeyBytes)))
}

// A SizedKey is what a size file says of one key, or of a run of keys alike.
type SizedKey struct {
	Bytes    int64  // memory, as MEMORY USAGE reports it
	Type     string // string, hash, list, set, zset or stream; "" if the file does not say
	Elements int64  // a string's length, a hash's fields, ...; 0 if the file does not say
	// Summary says the entry comes from a redis-cli summary: one of a run of keys taken as
	// alike, Key set for the biggest only.
	Summary bool
}

var redisTypes = []string{"string", "hash", "list", "set", "zset", "stream"}

// The lines of redis-cli --memkeys and --bigkeys summaries (findBigKeys).
var (
	bigSummary = regexp.MustCompile(`^(\d+) (string|hash|list|set|zset|stream)s with (\d+) (bytes|fields|items|members|entries) \(`)
	bigBiggest = regexp.MustCompile(`^Biggest +(string|hash|list|set|zset|stream) found (.*) has (\d+) (bytes|fields|items|members|entries)$`)
)

// readSizeFile reads the sizes of keys from r (named name in errors), calling add for
// each, in one of two forms:
//
//   - lines "KEY BYTES [TYPE ELEMENTS]", as `redis-cli --scan` piped through MEMORY
//     USAGE (and TYPE and a length) prints them; the numbers are the last fields, so a
//     key may hold spaces. Empty lines are skipped.
//   - what `redis-cli --memkeys` prints (or --bigkeys, for strings only: it counts the
//     other types' elements, not their bytes). Its summary says, per type, how many keys
//     and bytes there are and the biggest key; that key is taken as it is and the rest as
//     equal, each the type's remaining bytes over its remaining keys. The whole
//     distribution needs the first form.
//
// A line that is neither is an error naming name and the line.
func readSizeFile(r io.Reader, name string, add func(key string, e SizedKey) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	type summary struct {
		keys, total, biggest int64
		key, unit            string
		line                 int
	}
	var (
		cli    bool // the file is redis-cli's --memkeys or --bigkeys output
		byType = map[string]*summary{}
		n      int
		any    bool
	)
	for {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("size: reading %s: %w", name, err)
		}
		if line != "" || err == nil {
			n++
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
			if !any && strings.HasPrefix(line, "# Scanning the entire keyspace") {
				cli = true
			}
			switch {
			case cli:
				if m := bigBiggest.FindStringSubmatch(line); m != nil {
					b, _ := strconv.ParseInt(m[3], 10, 64)
					s := byType[m[1]]
					if s == nil {
						s = &summary{}
						byType[m[1]] = s
					}
					s.biggest, s.key, s.unit, s.line = b, m[2], m[4], n
				} else if m := bigSummary.FindStringSubmatch(line); m != nil {
					k, _ := strconv.ParseInt(m[1], 10, 64)
					b, _ := strconv.ParseInt(m[3], 10, 64)
					s := byType[m[2]]
					if s == nil {
						s = &summary{}
						byType[m[2]] = s
					}
					s.keys, s.total, s.unit, s.line = k, b, m[4], n
				}
			case line == "":
			default:
				key, e, perr := parseSizedLine(line)
				if perr != nil {
					return fmt.Errorf("%s:%d: %w", name, n, perr)
				}
				if err := add(key, e); err != nil {
					return err
				}
				any = true
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if !cli {
		if !any {
			return fmt.Errorf("size: %s holds no sizes", name)
		}
		return nil
	}
	for _, t := range redisTypes {
		s := byType[t]
		if s == nil || s.keys == 0 {
			continue
		}
		if s.unit != "bytes" {
			return fmt.Errorf("%s:%d: redis-cli --bigkeys counts a %s's %s, not its bytes; give the output of redis-cli --memkeys", name, s.line, t, s.unit)
		}
		if s.biggest > s.total || s.keys < 1 {
			return fmt.Errorf("%s:%d: %d %ss with %d bytes, the biggest of %d bytes: the summary does not add up", name, s.line, s.keys, t, s.total, s.biggest)
		}
		if err := add(s.key, SizedKey{Bytes: max(s.biggest, 1), Type: t, Summary: true}); err != nil {
			return err
		}
		rest := s.keys - 1
		for j := int64(0); j < rest; j++ {
			b := (s.total - s.biggest) / rest
			if j < (s.total-s.biggest)%rest {
				b++
			}
			if err := add("", SizedKey{Bytes: max(b, 1), Type: t, Summary: true}); err != nil {
				return err
			}
		}
		any = true
	}
	if !any {
		return fmt.Errorf("size: %s is redis-cli output with no summary of keys (was the scan cut short?)", name)
	}
	return nil
}

// parseSizedLine reads "KEY BYTES [TYPE ELEMENTS]".
func parseSizedLine(line string) (string, SizedKey, error) {
	f := strings.Fields(line)
	num := func(s, what string) (int64, error) {
		x, err := strconv.ParseInt(s, 10, 64)
		if err != nil || x < 0 {
			return 0, fmt.Errorf("%q is not %s", s, what)
		}
		return x, nil
	}
	if len(f) >= 4 && slices.Contains(redisTypes, f[len(f)-2]) {
		b, err := num(f[len(f)-3], "a size in bytes")
		if err != nil {
			return "", SizedKey{}, err
		}
		el, err := num(f[len(f)-1], "a count of elements")
		if err != nil {
			return "", SizedKey{}, err
		}
		return keyBefore(line, 3), SizedKey{Bytes: max(b, 1), Type: f[len(f)-2], Elements: el}, nil
	}
	if len(f) < 2 {
		return "", SizedKey{}, fmt.Errorf("%q: want KEY BYTES [TYPE ELEMENTS]", line)
	}
	b, err := num(f[len(f)-1], "a size in bytes (was the key deleted between SCAN and MEMORY USAGE?)")
	if err != nil {
		return "", SizedKey{}, err
	}
	return keyBefore(line, 1), SizedKey{Bytes: max(b, 1)}, nil
}

// keyBefore is line without its last n space-separated fields.
func keyBefore(line string, n int) string {
	s := strings.TrimRight(line, " \t")
	for range n {
		i := strings.LastIndexAny(s, " \t")
		if i < 0 {
			return ""
		}
		s = strings.TrimRight(s[:i], " \t")
	}
	return s
}
