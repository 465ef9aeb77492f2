package cluster

import (
	_ "embed"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim"
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

// What `load hash`'s script costs once its hash has a replica (record-script-replication.py):
// Redis 7 replicates a script's effects as MULTI, one HSET per field, EXEC, which the master
// builds in its output buffers before it replies. The replica reads the stream and queues
// the HSETs, answering its other clients between reads, then runs the EXEC in one go.
//
//go:embed calibration/script-replication.txt
var scriptReplicationRecording string

// What a full synchronisation costs (calibration/full-sync.txt, made by
// calibration/record-full-sync.sh): the master's child writing the RDB, the replica
// flushing the data it had and loading the copy, for hashes and strings.
//
//go:embed calibration/full-sync.txt
var fullSyncRecording string

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
	return time.Duration(c.per(size) * float64(size))
}

// per is the curve's value per unit at size units, interpolated in the logarithm of size.
func (c costCurve) per(size int) float64 {
	x := math.Log10(float64(max(size, 1)))
	i, _ := slices.BinarySearch(c.logSize, x)
	switch {
	case i == 0:
		return c.perUnit[0]
	case i == len(c.logSize):
		return c.perUnit[i-1]
	}
	f := (x - c.logSize[i-1]) / (c.logSize[i] - c.logSize[i-1])
	return c.perUnit[i-1] + f*(c.perUnit[i]-c.perUnit[i-1])
}

// costs holds a curve per kind of value (kindString, kindHash, …) for each kind of work.
type costs struct {
	build     [numKinds]costCurve // writing the value: SET, a `load` script
	serialize [numKinds]costCurve // MIGRATE on the source, the target's RESTORE and the free excluded
	restore   [numKinds]costCurve // RESTORE-ASKING on the target
	free      [numKinds]costCurve // deleting the value (DEL, and MIGRATE's delete on the source)

	// A `load` script with a replica, per element written: recorded for hashes, and taken
	// for the other collections too, whose scripts replicate the same way (MULTI, a write
	// per element, EXEC).
	propagate costCurve // the master's extra work, beyond build, to stream the effects
	receive   costCurve // the replica reading and queueing them, responsive meanwhile
	exec      costCurve // the replica's EXEC, during which it answers nothing
	// scattered is a factor, not a cost: how much longer a MIGRATE takes to serialize and
	// free a hash built while a replica streamed it than one built without. Measured, not
	// explained; the allocations of the stream between the hash's own are a guess.
	scattered costCurve

	// A full synchronisation's, per value in the dataset: the master's child writing it
	// into the RDB, the replica's flush of the copy it had, its load of the new one.
	rdbSave, rdbFlush, rdbLoad [numKinds]costCurve

	// jitter is how much one big value's work varies from run to run on the same host: the
	// standard deviation of its logarithm. Each cell of migrate-cost.txt is ten MIGRATEs of
	// the same value; jitter is the median, over the cells whose MIGRATE takes 100 ms or
	// more (below that the round trip dominates), of their spread (1.4826 times the median
	// absolute deviation, over the median). It is about 0.11: a 3 s MIGRATE takes 2.7 to
	// 3.3 s in two runs of three. A race between a stall and the failure detection it sets
	// off turns on that spread (sim/scenario's TestMigrateBigHash).
	jitter float64
	// draws is where a node's costs draw their spread from; nil draws none, and each cost
	// is its curve's median.
	draws *sim.Stream
}

// jitterFloor is the least work the spread applies to: a millisecond. Smaller work is not
// what the recording's spread was measured on, and leaving it exact keeps runs of small
// keys as they were.
const jitterFloor = time.Millisecond

// vary is d, one run's time for work whose median is d: d times e^(jitter·N(0,1)), drawn
// from draws, so that the median stays d. Each call draws once.
func (c *costs) vary(d time.Duration) time.Duration {
	if c.draws == nil || c.jitter == 0 || d < jitterFloor {
		return d
	}
	return time.Duration(float64(d) * math.Exp(c.jitter*c.draws.NormFloat64()))
}

var model = mustReadCosts(migrateCostRecording, scriptReplicationRecording, fullSyncRecording)

// forHost returns the costs on a host slowdown times slower than the recording's (0
// means 1), each drawing its run-to-run spread from draws (nil: none).
func (c *costs) forHost(slowdown float64, draws *sim.Stream) *costs {
	h := c
	if slowdown > 0 {
		h = c.scaled(slowdown)
	}
	if draws == nil {
		return h
	}
	cp := *h
	cp.draws = draws
	return &cp
}

// scaled returns the costs on a host slowdown times slower than the recording's: every
// curve's costs times slowdown. The scattered curve and the jitter are ratios and stay as
// they are.
func (c *costs) scaled(slowdown float64) *costs {
	if slowdown == 1 {
		return c
	}
	scale := func(cv costCurve) costCurve {
		per := make([]float64, len(cv.perUnit))
		for i, x := range cv.perUnit {
			per[i] = x * slowdown
		}
		return costCurve{logSize: cv.logSize, perUnit: per}
	}
	s := &costs{scattered: c.scattered, jitter: c.jitter}
	for k := range numKinds {
		s.build[k], s.serialize[k], s.restore[k], s.free[k] = scale(c.build[k]), scale(c.serialize[k]), scale(c.restore[k]), scale(c.free[k])
		s.rdbSave[k], s.rdbFlush[k], s.rdbLoad[k] = scale(c.rdbSave[k]), scale(c.rdbFlush[k]), scale(c.rdbLoad[k])
	}
	s.propagate, s.receive, s.exec = scale(c.propagate), scale(c.receive), scale(c.exec)
	return s
}

func mustReadCosts(migrate, script, fullSync string) *costs {
	c, err := readCosts(migrate)
	if err != nil {
		panic("cluster: calibration/migrate-cost.txt: " + err.Error())
	}
	if err := c.readScriptReplication(script); err != nil {
		panic("cluster: calibration/script-replication.txt: " + err.Error())
	}
	cells, err := readFullSyncCells(fullSync)
	if err == nil {
		err = c.readFullSync(cells)
	}
	if err != nil {
		panic("cluster: calibration/full-sync.txt: " + err.Error())
	}
	return c
}

// A fullSyncCell is the recorded full synchronisations of a master holding one value of
// a kind and size: per sync, in milliseconds, the master's child writing the RDB, the
// replica's flush of its old copy and its load of the new one.
type fullSyncCell struct {
	kind              uint8
	size              int
	save, flush, load []float64
}

// readFullSyncCells reads lines of "kind n run save_ms flush_ms load_ms total_ms" and #
// comments, a cell per kind and size in the order they first appear.
func readFullSyncCells(text string) ([]*fullSyncCell, error) {
	var cells []*fullSyncCell
	for i, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 7 {
			return nil, fmt.Errorf("line %d: %d fields, want 7", i+1, len(f))
		}
		kind := slices.Index(kindNames[:], f[0])
		if kind < 0 {
			return nil, fmt.Errorf("line %d: unknown kind %q", i+1, f[0])
		}
		size, err := strconv.Atoi(f[1])
		if err != nil || size <= 0 {
			return nil, fmt.Errorf("line %d: size %q", i+1, f[1])
		}
		var ms [3]float64
		for j := range ms {
			if ms[j], err = strconv.ParseFloat(f[3+j], 64); err != nil || ms[j] < 0 {
				return nil, fmt.Errorf("line %d: %q is not a time", i+1, f[3+j])
			}
		}
		c := &fullSyncCell{kind: uint8(kind), size: size}
		if n := len(cells); n > 0 && cells[n-1].kind == c.kind && cells[n-1].size == size {
			c = cells[n-1]
		} else {
			cells = append(cells, c)
		}
		c.save, c.flush, c.load = append(c.save, ms[0]), append(c.flush, ms[1]), append(c.load, ms[2])
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("no runs")
	}
	return cells, nil
}

// readFullSync makes the full synchronisation's curves from the cells' medians, per unit
// of each recorded kind. A kind not recorded (lists, sets, sorted sets) takes its MIGRATE
// curve (serialize, free, restore) times the ratio the hashes show between the two at the
// same element count: a full copy's work per element against MIGRATE's.
func (c *costs) readFullSync(cells []*fullSyncCell) error {
	slices.SortStableFunc(cells, func(a, b *fullSyncCell) int { return a.size - b.size })
	for _, e := range cells {
		x := math.Log10(float64(e.size))
		for _, w := range []struct {
			cv *costCurve
			ms []float64
		}{{&c.rdbSave[e.kind], e.save}, {&c.rdbFlush[e.kind], e.flush}, {&c.rdbLoad[e.kind], e.load}} {
			w.cv.logSize = append(w.cv.logSize, x)
			w.cv.perUnit = append(w.cv.perUnit, median(w.ms)*1e6/float64(e.size))
		}
	}
	for _, k := range []uint8{kindString, kindHash} {
		if len(c.rdbSave[k].logSize) == 0 {
			return fmt.Errorf("no %s cells", kindNames[k])
		}
	}
	for k := range uint8(numKinds) {
		if len(c.rdbSave[k].logSize) > 0 {
			continue
		}
		for _, w := range []struct{ to, hash, migrate, hashMigrate *costCurve }{
			{&c.rdbSave[k], &c.rdbSave[kindHash], &c.serialize[k], &c.serialize[kindHash]},
			{&c.rdbFlush[k], &c.rdbFlush[kindHash], &c.free[k], &c.free[kindHash]},
			{&c.rdbLoad[k], &c.rdbLoad[kindHash], &c.restore[k], &c.restore[kindHash]},
		} {
			for _, x := range w.hash.logSize {
				n := int(math.Round(math.Pow(10, x)))
				w.to.logSize = append(w.to.logSize, x)
				w.to.perUnit = append(w.to.perUnit, w.migrate.per(n)*w.hash.per(n)/w.hashMigrate.per(n))
			}
		}
	}
	return nil
}

// readScriptReplication reads lines of "fields replica run master_ms receive_ms exec_ms
// migrate_us restore_us load1" and # comments. Each run without a replica is the baseline
// of the runs with one at the same size, recorded alongside: the machine's speed drifts
// from day to day, so what is read is relative to it. The baseline's EVAL against the
// build curve gives the recording host's speed against migrate-cost.txt's; the master's
// extra time with a replica, the replica's receive and EXEC times are scaled by it; and a
// MIGRATE of the hash built with a replica, less the target's RESTORE, against the same
// without one, gives the scattered curve, a factor.
func (c *costs) readScriptReplication(text string) error {
	type key struct{ fields, replica int }
	var sizes []int
	cols := map[key][][5]float64{}
	for i, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 9 {
			return fmt.Errorf("line %d: %d fields, want 9", i+1, len(f))
		}
		fields, err := strconv.Atoi(f[0])
		if err != nil || fields <= 0 {
			return fmt.Errorf("line %d: fields %q", i+1, f[0])
		}
		if f[1] != "0" && f[1] != "1" {
			return fmt.Errorf("line %d: replica %q, want 0 or 1", i+1, f[1])
		}
		k := key{fields, int(f[1][0] - '0')}
		var v [5]float64
		for j, s := range f[3:8] {
			if v[j], err = strconv.ParseFloat(s, 64); err != nil || v[j] < 0 {
				return fmt.Errorf("line %d: %q is not a time", i+1, s)
			}
		}
		v[3] = (v[3] - v[4]) / 1000 // the source's own part of the MIGRATE, in ms
		if !slices.Contains(sizes, fields) {
			sizes = append(sizes, fields)
		}
		cols[k] = append(cols[k], v)
	}
	slices.Sort(sizes)
	for _, fields := range sizes {
		m := func(replica, j int) float64 {
			var xs []float64
			for _, v := range cols[key{fields, replica}] {
				xs = append(xs, v[j])
			}
			return median(xs)
		}
		if len(cols[key{fields, 0}]) == 0 || len(cols[key{fields, 1}]) == 0 {
			return fmt.Errorf("%d fields: want runs with and without a replica", fields)
		}
		perField := 1e6 / float64(fields) // ms to ns per field
		speed := m(0, 0) * 1e6 / float64(c.build[kindHash].at(fields))
		x := math.Log10(float64(fields))
		for _, e := range []struct {
			cv  *costCurve
			per float64
		}{
			{&c.propagate, (m(1, 0) - m(0, 0)) * perField / speed},
			{&c.receive, m(1, 1) * perField / speed},
			{&c.exec, m(1, 2) * perField / speed},
			{&c.scattered, m(1, 3) / m(0, 3)},
		} {
			e.cv.logSize = append(e.cv.logSize, x)
			e.cv.perUnit = append(e.cv.perUnit, max(e.per, 0))
		}
	}
	if len(sizes) == 0 {
		return fmt.Errorf("no runs")
	}
	return nil
}

// A costCell is the medians of one recorded kind and size, in microseconds.
type costCell struct {
	kind                                uint8
	size                                int
	build, migrate, restore, dump, free float64
	payload                             int
	spread                              float64 // of the MIGRATEs: 1.4826·MAD/median
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
		kind := slices.Index(kindNames[:], f[0])
		if kind < 0 {
			return nil, fmt.Errorf("line %d: unknown kind %q", i+1, f[0])
		}
		k.kind = uint8(kind)
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
		var dev []float64
		for _, v := range cols[k] {
			dev = append(dev, math.Abs(v[1]-m(1)))
		}
		spread := 0.0
		if m(1) > 0 {
			spread = 1.4826 * median(dev) / m(1)
		}
		cells = append(cells, costCell{kind: k.kind, size: k.size, build: m(0), migrate: m(1), restore: m(3), dump: m(4), free: m(5), payload: payload[k], spread: spread})
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
	// A string's MIGRATE is mostly its bytes going into the socket: what the target's
	// RESTORE and a DEL of the string do not take is the source's serialization. A
	// collection's is walking it twice, to serialize it (as DUMP does, which is recorded)
	// and to free it: a hash built one HSET at a time frees more slowly than the DEL
	// recorded, which deletes the target's restored copy, so the source's free is what is
	// left.
	for _, e := range cells {
		k := e.kind
		add(&c.build[k], e.size, e.build)
		add(&c.restore[k], e.size, e.restore)
		if k != kindString {
			add(&c.serialize[k], e.size, e.dump)
			add(&c.free[k], e.size, e.migrate-e.restore-e.dump-max(overhead, 0))
			continue
		}
		add(&c.free[k], e.size, e.free)
		add(&c.serialize[k], e.size, e.migrate-e.restore-e.free-max(overhead, 0))
	}
	for k := range numKinds {
		if len(c.serialize[k].logSize) == 0 {
			return nil, fmt.Errorf("no %s cells", kindNames[k])
		}
	}
	var spreads []float64
	for _, e := range cells {
		if e.migrate >= 100_000 {
			spreads = append(spreads, e.spread)
		}
	}
	if len(spreads) > 0 {
		c.jitter = median(spreads)
	}
	return c, nil
}

// units is the size a value's costs are counted in, and the curve kind: bytes for a
// string, elements for a collection. A hash or sorted set small enough for a listpack is
// one blob to DUMP, RESTORE and free, and costs what a string of its bytes does; writing
// it still takes a write per element.
func units(v value) (kind uint8, n int) {
	switch {
	case v.kind == kindString:
		return kindString, len(v.str)
	case v.listpack():
		return kindString, listpackBytes(v)
	}
	return v.kind, v.elems
}

func (c *costs) serializeCost(v value) time.Duration {
	k, n := units(v)
	return c.vary(c.scatter(v, c.serialize[k].at(n)))
}

// scatter is d, the cost of work on v, made longer if v is a scattered hash.
func (c *costs) scatter(v value, d time.Duration) time.Duration {
	if !v.scattered || v.kind != kindHash || v.listpack() || len(c.scattered.logSize) == 0 {
		return d
	}
	return time.Duration(float64(d) * c.scattered.per(v.elems))
}

func (c *costs) restoreCost(v value) time.Duration {
	k, n := units(v)
	return c.vary(c.restore[k].at(n))
}

func (c *costs) freeCost(v value) time.Duration {
	k, n := units(v)
	return c.vary(c.scatter(v, c.free[k].at(n)))
}

// A full synchronisation's work on a whole dataset: the master's child writing the RDB
// (the event loop left free), the replica flushing the data it had (emptyData, blocking)
// and loading the copy (rdbLoad, answering -LOADING). Each value costs its curve's median; the spread is drawn once for
// the whole, so that a dataset of small keys, which costs under a millisecond, draws none.
func (c *costs) rdbSaveCost(values iter.Seq[value]) time.Duration {
	return c.datasetCost(values, &c.rdbSave, true)
}
func (c *costs) flushCost(values iter.Seq[value]) time.Duration {
	return c.datasetCost(values, &c.rdbFlush, true)
}
func (c *costs) rdbLoadCost(values iter.Seq[value]) time.Duration {
	return c.datasetCost(values, &c.rdbLoad, false)
}

func (c *costs) datasetCost(values iter.Seq[value], curves *[numKinds]costCurve, scatters bool) time.Duration {
	var d time.Duration
	for v := range values {
		k, n := units(v)
		w := curves[k].at(n)
		if scatters {
			w = c.scatter(v, w)
		}
		d += w
	}
	return c.vary(d)
}

// buildCost is the time to write v: SET of a string, a `load` script's one write per
// element of a collection.
func (c *costs) buildCost(v value) time.Duration {
	if v.kind != kindString {
		return c.vary(c.build[v.kind].at(v.elems))
	}
	return c.vary(c.build[kindString].at(len(v.str)))
}

// propagateCost is a master's extra time to stream a script's writes of fields fields to
// its replicas, receiveCost a replica's time to read them and execCost its EXEC.
func (c *costs) propagateCost(fields int) time.Duration { return c.vary(c.propagate.at(fields)) }
func (c *costs) receiveCost(fields int) time.Duration   { return c.vary(c.receive.at(fields)) }
func (c *costs) execCost(fields int) time.Duration      { return c.vary(c.exec.at(fields)) }

// payloadSize is the length of v's DUMP payload (rdbSaveObject, then the RDB version and a
// CRC64): for a string its bytes and their length; for a hash or set table each field,
// value or member with its length; for a sorted set's skiplist each member and its score,
// a binary double; for a listpack the blob; for a list its quicklist's nodes, each a
// container byte and its listpack. RDB compresses strings over 20 bytes with LZF where
// that saves space, which the model does not do: exact for `load string`'s bytes, which
// do not compress, and for the collections' elements, which are shorter; an upper bound
// for listpacks, whose repeated prefixes compress.
func payloadSize(v value) int {
	const trailer = 1 + 2 + 8 // type, version, CRC
	blob := func(n int) int { return lenSize(n) + n }
	n := v.elems
	switch {
	case v.kind == kindString:
		return trailer + blob(len(v.str))
	case v.listpack():
		return trailer + blob(listpackBytes(v))
	case v.kind == kindList:
		size, nodes := 0, 0
		quicklistNodes(n, func(lp int) { size += 1 + blob(lp); nodes++ })
		return trailer + lenSize(nodes) + size
	case v.kind == kindSet:
		// "member:i" is 7 bytes and i's digits, with a 1-byte length.
		return trailer + lenSize(n) + 8*n + digitSum(n)
	case v.kind == kindZset:
		return trailer + lenSize(n) + 16*n + digitSum(n)
	}
	// "field:i" and "value:i" are 6 bytes and i's digits, each with a 1-byte length.
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

// A RecordedMigrate is one MIGRATE of calibration/migrate-cost.txt: a value written on a
// real redis-server 7.0.15 and moved to another on loopback, with the time the source
// spent in the command (INFO commandstats), which its event loop was held for.
type RecordedMigrate struct {
	Type    string // "string", "hash", "list", "set" or "zset"
	Size    int    // a string's bytes, a collection's elements
	Blocked time.Duration
}

// RecordedMigrates returns every run of the recording the big-value costs are read from.
func RecordedMigrates() []RecordedMigrate {
	var out []RecordedMigrate
	for _, line := range strings.Split(migrateCostRecording, "\n") {
		f := strings.Fields(line)
		if len(f) != 11 || strings.HasPrefix(line, "#") {
			continue
		}
		size, err1 := strconv.Atoi(f[1])
		us, err2 := strconv.ParseFloat(f[4], 64)
		if err1 != nil || err2 != nil {
			continue // readCosts has refused the recording at start already
		}
		out = append(out, RecordedMigrate{Type: f[0], Size: size, Blocked: time.Duration(us * float64(time.Microsecond))})
	}
	return out
}
