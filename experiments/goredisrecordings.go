package experiments

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim/client"
)

// goRedisRecordings holds real failovers under go-redis load, as
// recordings/record-goredis.sh makes them: one CSV file a cell, `failover -live -csv`'s
// own output with '#' lines saying how it was made.
//
//go:embed recordings/goredis/*.csv
var goRedisRecordings embed.FS

// A LiveCell is one recorded cell of real failovers under go-redis load: Fault ("kill" or
// "isolate") at NodeTimeout, the clients' options named by Options ("default", or
// "replicas": ReadOnly and RouteRandomly) and given by Client.
type LiveCell struct {
	Name        string // the file's name without .csv: FAULT-TIMEOUT-OPTIONS
	Fault       string
	NodeTimeout time.Duration
	Options     string
	Client      client.Options
	Runs        []LiveRun
}

// A LiveRun is one row of a LiveCell: what WriteFailoverCSV prints. Recovered is false
// where the unserved field is empty (the failed master's slots were not served again
// within the observation).
type LiveRun struct {
	Run                             int
	PFail, Fail, Promoted, Unserved time.Duration
	Recovered                       bool
	Requests, Failed, Redirected    int
	Acked, Lost                     int
}

// LiveCells returns every recorded cell, in file name order.
func LiveCells() ([]LiveCell, error) {
	names, err := fs.Glob(goRedisRecordings, "recordings/goredis/*.csv")
	if err != nil {
		return nil, err
	}
	var cells []LiveCell
	for _, name := range names {
		f, err := goRedisRecordings.Open(name)
		if err != nil {
			return nil, err
		}
		cell, err := readLiveCell(strings.TrimSuffix(strings.TrimPrefix(name, "recordings/goredis/"), ".csv"), f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		cells = append(cells, cell)
	}
	return cells, nil
}

func readLiveCell(name string, f fs.File) (LiveCell, error) {
	cell := LiveCell{Name: name}
	parts := strings.Split(name, "-")
	if len(parts) != 3 {
		return cell, fmt.Errorf("name %q: want FAULT-TIMEOUT-OPTIONS", name)
	}
	var err error
	if _, err = ParseFault(parts[0]); err != nil {
		return cell, err
	}
	cell.Fault = parts[0]
	if cell.NodeTimeout, err = time.ParseDuration(parts[1]); err != nil {
		return cell, err
	}
	cell.Options = parts[2]
	switch cell.Options {
	case "default":
	case "replicas":
		cell.Client = client.Options{ReadOnly: true, RouteRandomly: true}
	default:
		return cell, fmt.Errorf("options %q: want default or replicas", cell.Options)
	}
	r := csv.NewReader(f)
	r.Comment = '#'
	header, err := r.Read()
	if err != nil {
		return cell, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, h := range []string{"seed", "pfail_ms", "fail_ms", "promoted_ms", "unserved_ms", "requests", "failed", "redirected", "acked_writes", "lost_writes"} {
		if _, ok := col[h]; !ok {
			return cell, fmt.Errorf("no column %s", h)
		}
	}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return cell, err
		}
		line, _ := r.FieldPos(0)
		var bad error // the row's first field that is not a number
		n := func(h string) int {
			v, err := strconv.Atoi(row[col[h]])
			if err != nil && bad == nil {
				bad = fmt.Errorf("line %d: %s %q: %w", line, h, row[col[h]], err)
			}
			return v
		}
		ms := func(h string) time.Duration {
			if row[col[h]] == "" {
				return 0 // the phase never happened, or the window never ended
			}
			return time.Duration(n(h)) * time.Millisecond
		}
		run := LiveRun{
			Run: n("seed"), PFail: ms("pfail_ms"), Fail: ms("fail_ms"), Promoted: ms("promoted_ms"),
			Unserved: ms("unserved_ms"), Recovered: row[col["unserved_ms"]] != "",
			Requests: n("requests"), Failed: n("failed"), Redirected: n("redirected"),
			Acked: n("acked_writes"), Lost: n("lost_writes"),
		}
		if bad != nil {
			return cell, bad
		}
		cell.Runs = append(cell.Runs, run)
	}
	if len(cell.Runs) == 0 {
		return cell, fmt.Errorf("no runs")
	}
	return cell, nil
}
