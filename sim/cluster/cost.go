package cluster

import (
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What big values cost a node's event loop: writing a hash, serializing a value for
// MIGRATE and sending it, restoring it on the target, freeing it. Redis does all of it on
// its one thread, so while it runs the node answers nothing, not even the cluster bus's
// pings. The costs are the medians of a recording of real redis-server 7.0.15 processes
// on loopback (calibration/migrate-cost.txt, made by calibration/record-migrate-cost),
// read at start (less the fixed cost of a MIGRATE, its round trip, which the simulated
// network supplies): per byte of a string and per field of a hash, at each recorded size, and
// interpolated in the logarithm of the size between them. Below the smallest and above
// the largest recorded size the cost per unit of the nearest one holds.

//go:embed calibration/migrate-cost.txt
var migrateCostRecording string

// A costCurve is a cost per unit (byte or field) at increasing sizes.
type costCurve struct {
	logSize []float64
	perUnit []float64 // nanoseconds
}

// at is the cost of a value of size units.
func (c costCurve) at(size int) time.Duration {
	if size <= 0 || len(c.logSize) == 0 {
		return 0
	}
	x := math.Log10(float64(size))
	i, _ := slices.BinarySearch(c.logSize, x)
	var per float64
	switch {
	case i == 0:
		per = c.perUnit[0]
	case i == len(c.logSize):
		per = c.perUnit[i-1]
	default:
		f := (x - c.logSize[i-1]) / (c.logSize[i] - c.logSize[i-1])
		per = c.perUnit[i-1] + f*(c.perUnit[i]-c.perUnit[i-1])
	}
	return time.Duration(per * float64(size))
}

// costs holds a curve per kind of value (kindString, kindHash) for each kind of work.
type costs struct {
	build     [2]costCurve // writing the value: SET, `load hash`'s script
	serialize [2]costCurve // MIGRATE on the source, the target's RESTORE and the free excluded
	restore   [2]costCurve // RESTORE-ASKING on the target
	free      [2]costCurve // deleting the value (DEL, and MIGRATE's delete on the source)
}

var model = mustReadCosts(migrateCostRecording)

func mustReadCosts(text string) *costs {
	c, err := readCosts(text)
	if err != nil {
		panic("cluster: calibration/migrate-cost.txt: " + err.Error())
	}
	return c
}

// A costCell is the medians of one recorded kind and size, in microseconds.
type costCell struct {
	kind                                uint8
	size                                int
	build, migrate, restore, dump, free float64
	payload                             int
}

// readCostCells reads a recording: lines of "kind size run build_us migrate_us wall_us
// restore_us dump_us del_us payload load1", # comments, and returns each cell's medians
// in the order the cells first appear.
func readCostCells(text string) ([]costCell, error) {
	type key struct {
		kind uint8
		size int
	}
	var order []key
	cols := map[key][][]float64{}
	payload := map[key]int{}
	for i, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 11 {
			return nil, fmt.Errorf("line %d: %d fields, want 11", i+1, len(f))
		}
		var k key
		switch f[0] {
		case "string":
			k.kind = kindString
		case "hash":
			k.kind = kindHash
		default:
			return nil, fmt.Errorf("line %d: unknown kind %q", i+1, f[0])
		}
		var err error
		if k.size, err = strconv.Atoi(f[1]); err != nil || k.size <= 0 {
			return nil, fmt.Errorf("line %d: size %q", i+1, f[1])
		}
		var v []float64
		for _, s := range f[3:10] {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil || x < 0 {
				return nil, fmt.Errorf("line %d: %q is not a time", i+1, s)
			}
			v = append(v, x)
		}
		if _, ok := cols[k]; !ok {
			order = append(order, k)
		}
		cols[k] = append(cols[k], v)
		payload[k] = int(v[6])
	}
	var cells []costCell
	for _, k := range order {
		m := func(j int) float64 {
			var xs []float64
			for _, v := range cols[k] {
				xs = append(xs, v[j])
			}
			return median(xs)
		}
		cells = append(cells, costCell{kind: k.kind, size: k.size, build: m(0), migrate: m(1), restore: m(3), dump: m(4), free: m(5), payload: payload[k]})
	}
	return cells, nil
}

func median(xs []float64) float64 {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func readCosts(text string) (*costs, error) {
	cells, err := readCostCells(text)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(cells, func(a, b costCell) int { return a.size - b.size })
	// A MIGRATE of the smallest string is all fixed cost: the round trip to the target and
	// the system calls around it. The simulated network has its own round trip, so that
	// part is taken out of every cell's serialization.
	overhead := -1.0
	for _, e := range cells {
		if e.kind == kindString {
			overhead = e.migrate - e.restore - e.free
			break
		}
	}
	c := &costs{}
	add := func(cv *costCurve, size int, us float64) {
		cv.logSize = append(cv.logSize, math.Log10(float64(size)))
		cv.perUnit = append(cv.perUnit, max(us, 0)*1000/float64(size))
	}
	for _, e := range cells {
		k := e.kind
		add(&c.build[k], e.size, e.build)
		add(&c.restore[k], e.size, e.restore)
		add(&c.free[k], e.size, e.free)
		add(&c.serialize[k], e.size, e.migrate-e.restore-e.free-max(overhead, 0))
	}
	for k := range 2 {
		if len(c.serialize[k].logSize) == 0 {
			return nil, fmt.Errorf("no %s cells", []string{"string", "hash"}[k])
		}
	}
	return c, nil
}

// units is the size a value's costs are counted in, and the curve kind: bytes for a
// string, fields for a hash held as a hash table. A hash small enough for a listpack is
// one blob to DUMP, RESTORE and free, and costs what a string of its bytes does; writing
// it still takes an HSET per field.
func units(v value) (kind uint8, n int) {
	if v.kind == kindHash && !v.listpack() {
		return kindHash, v.fields
	}
	if v.kind == kindHash {
		return kindString, listpackBytes(v.fields)
	}
	return kindString, len(v.str)
}

func (c *costs) serializeCost(v value) time.Duration {
	k, n := units(v)
	return c.serialize[k].at(n)
}

func (c *costs) restoreCost(v value) time.Duration {
	k, n := units(v)
	return c.restore[k].at(n)
}

func (c *costs) freeCost(v value) time.Duration {
	k, n := units(v)
	return c.free[k].at(n)
}

// buildCost is the time to write v: SET of a string, `load hash`'s fields one HSET each.
func (c *costs) buildCost(v value) time.Duration {
	if v.kind == kindHash {
		return c.build[kindHash].at(v.fields)
	}
	return c.build[kindString].at(len(v.str))
}

// payloadSize is the length of v's DUMP payload (rdbSaveObject, then the RDB version and a
// CRC64): for a string its bytes and their length, for a hash table each field and value
// with its length, for a listpack the blob.
func payloadSize(v value) int {
	const trailer = 1 + 2 + 8 // type, version, CRC
	if v.kind == kindString {
		return trailer + lenSize(len(v.str)) + len(v.str)
	}
	if v.listpack() {
		n := listpackBytes(v.fields)
		return trailer + lenSize(n) + n
	}
	// "field:i" and "value:i" are 6 bytes and i's digits, each with a 1-byte length.
	n := v.fields
	return trailer + lenSize(n) + 2*(7*n+digitSum(n))
}

// digitSum is the number of decimal digits in 1, 2, …, n.
func digitSum(n int) int {
	sum := 0
	for d, lo := 1, 1; lo <= n; d, lo = d+1, lo*10 {
		sum += d * (min(n, lo*10-1) - lo + 1)
	}
	return sum
}

// lenSize is the bytes of an RDB length (rdbSaveLen).
func lenSize(n int) int {
	switch {
	case n < 1<<6:
		return 1
	case n < 1<<14:
		return 2
	case n <= math.MaxUint32:
		return 5
	}
	return 9
}
