package experiments

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes the result as indented JSON.
func (res *SkewResult) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// WriteTable writes the result as readable tables, one per question.
func (res *SkewResult) WriteTable(w io.Writer) error {
	cfg := res.Config
	p := &printer{w: w}
	p.printf("kvplace skew: how evenly do hash %% N, a consistent-hash ring and Redis hash slots spread keys,\n")
	p.printf("and how many keys move when the cluster changes?  (seed %d)\n", cfg.Keys.Seed)

	if len(res.Stages) > 0 {
		start := cfg.Start.withDefaults()
		n := len(start.Masters)
		if start.Source == "" {
			p.printf("\n1. The seed tutorial's scale-out and scale-in, %d → %d → %d masters (%s)\n", n, n+1, n, cfg.Keys)
		} else {
			p.printf("\n1. Scale-out and scale-in of the cluster in %s, %d → %d → %d masters (%s)\n", start.Source, n, n+1, n, cfg.Keys)
		}
		sized := cfg.Keys.Size.Sized()
		tw := p.table()
		head := "scheme\tmasters\tkeys per master\tmax/mean\tmin/mean\tσ/mean\tmoved\tminimum\t"
		if sized {
			head += "MB per master\tmax/mean\tσ/mean\tbytes moved\t"
		}
		fmt.Fprintln(tw, head)
		for _, s := range res.Stages {
			moved, minimum := "", ""
			if s.Minimum > 0 {
				moved, minimum = pct(s.Moved), pct(s.Minimum)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%s\t%s\t", s.Scheme, s.Stage[:strings.IndexByte(s.Stage, ' ')],
				counts(s.Keys), s.KeySkew.MaxMean, s.KeySkew.MinMean, s.KeySkew.CV, moved, minimum)
			if sized && s.ByteSkew != nil {
				movedB := ""
				if s.MovedBytes != nil {
					movedB = pct(*s.MovedBytes)
				}
				fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%s\t", megabytes(s.Bytes), s.ByteSkew.MaxMean, s.ByteSkew.CV, movedB)
			}
			fmt.Fprintln(tw)
		}
		p.flush(tw)
		p.printf("   Masters join and leave as %s; the minimum is the joiner's fair share, 1/%d.\n", start.Joiner, n+1)
		if sized {
			p.printf("   Bytes are the keys' sizes (%s): even slots can still hold uneven memory when a few keys are big.\n", cfg.Keys.Size)
		}
	}

	if len(res.Workloads) > 0 {
		p.printf("\n2. Skew by workload at %d masters: max/mean and σ/mean of each master's share\n", len(cfg.Start.withDefaults().Masters)+1)
		var kinds []string
		for _, wl := range res.Workloads {
			if !slices.Contains(kinds, wl.Workload) {
				kinds = append(kinds, wl.Workload)
			}
		}
		tw := p.table()
		fmt.Fprint(tw, "scheme\t")
		for _, k := range kinds {
			fmt.Fprintf(tw, "%s\t", k)
		}
		fmt.Fprintln(tw)
		for _, s := range cfg.Schemes {
			fmt.Fprintf(tw, "%s\t", s)
			for _, k := range kinds {
				for _, wl := range res.Workloads {
					if wl.Scheme == s && wl.Workload == k {
						fmt.Fprintf(tw, "%.3f  %.3f\t", wl.Skew.MaxMean, wl.Skew.CV)
					}
				}
			}
			fmt.Fprintln(tw)
		}
		p.flush(tw)
		if cfg.TaggedKeys.Kind == Tagged {
			p.printf("   Hash tags pin every key of a tag to one slot: slots spread tags, not keys.\n")
		}
	}

	if len(res.Crashes) > 0 {
		start := cfg.Start.withDefaults()
		p.printf("\n3. A master crashes: %s fails in the %d-master cluster (fractions of all keys)\n", start.Masters[0], len(start.Masters))
		tw := p.table()
		fmt.Fprintln(tw, "scheme\treplicas\towner changed\tnew owner had no copy\tlost\tunserved\t")
		for _, c := range res.Crashes {
			rep := "none"
			if c.Replica {
				rep = "1 per key"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", c.Scheme, rep, pct(c.OwnerChanged), pct(c.Copied), pct(c.Lost), pct(c.Unserved))
		}
		p.flush(tw)
		p.printf("   Slots fail over to the replica (no key moves) or stay unserved, and with\n")
		p.printf("   cluster-require-full-coverage yes the whole cluster then answers CLUSTERDOWN.\n")
	}

	if len(res.Law) > 0 {
		p.printf("\n4. Virtual nodes: σ/mean of members' exact keyspace shares, ring of %d members\n", cfg.LawMembers)
		tw := p.table()
		fmt.Fprintln(tw, "virtual nodes\tσ/mean\t1/√V\tLamping & Veach 2014\t")
		for _, l := range res.Law {
			lv := "-"
			if l.Lamping > 0 {
				lv = fmt.Sprintf("%.4f", l.Lamping)
			}
			fmt.Fprintf(tw, "%d\t%.4f\t%.4f\t%s\t\n", l.VNodes, l.CV, l.Theory, lv)
		}
		p.flush(tw)
	}

	if len(res.Sweep) > 0 {
		p.printf("\n5. Scale-out N → N+1: fraction of keys moved (%d keys per N; all N in the JSON and the figure)\n", cfg.SweepKeys)
		var ns []int
		for _, n := range []int{3, 4, 5, 8, 16, 32, 64} {
			if n >= cfg.MinN && n <= cfg.MaxN {
				ns = append(ns, n)
			}
		}
		if !slices.Contains(ns, cfg.MaxN) {
			ns = append(ns, cfg.MaxN)
		}
		tw := p.table()
		fmt.Fprint(tw, "scheme\t")
		for _, n := range ns {
			fmt.Fprintf(tw, "%d→%d\t", n, n+1)
		}
		fmt.Fprintln(tw)
		fmt.Fprint(tw, "minimum 1/(N+1)\t")
		for _, n := range ns {
			fmt.Fprintf(tw, "%s\t", pct(1/float64(n+1)))
		}
		fmt.Fprintln(tw)
		for _, s := range cfg.Schemes {
			fmt.Fprintf(tw, "%s\t", s)
			byN := map[int]float64{}
			for _, pt := range res.SweepOf(s) {
				byN[pt.N] = pt.Moved
			}
			for _, n := range ns {
				fmt.Fprintf(tw, "%s\t", pct(byN[n]))
			}
			fmt.Fprintln(tw)
		}
		p.flush(tw)
	}

	if cl := res.ClusterLoad; cl != nil {
		r := cl.Timing
		if src := cfg.Start.Source; src != "" {
			p.printf("\n6. The same Zipf requests on a simulated copy of the cluster in %s,\n", src)
		} else {
			p.printf("\n6. The same Zipf requests on the simulated cluster: 3 masters + 3 replicas from redis-cli --cluster create,\n")
		}
		p.printf("   %d GETs from %d go-redis clients at %g/s; each master's share, predicted from the key weights and\n", cl.Requests, r.Clients, r.Rate)
		p.printf("   the slot map, and measured (answered by it in the simulation; ± one standard deviation of the sampling)\n")
		tw := p.table()
		fmt.Fprintln(tw, "master\tslots\tpredicted\tmeasured\t± σ\t")
		for j, m := range cl.Masters {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", m, cl.Slots[j], pct(cl.Expected[j]), pct(cl.Measured[j]), pct(shareNoise(cl.Expected[j], cl.Requests-cl.Failed)))
		}
		p.flush(tw)
		p.printf("   The hottest key, %s, drew %s of the requests, all on %s; %d requests failed, %d were redirected.\n",
			cl.HotKey, pct(cl.HotShare), cl.HotMaster, cl.Failed, cl.Redirected)
	}
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) table() *tabwriter.Writer {
	return tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
}

func (p *printer) flush(tw *tabwriter.Writer) {
	if err := tw.Flush(); err != nil && p.err == nil {
		p.err = err
	}
}

func pct(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }

// megabytes writes byte counts in MB (10⁶ bytes), one decimal.
func megabytes(xs []int64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatFloat(float64(x)/1e6, 'f', 1, 64)
	}
	return strings.Join(parts, " ")
}

func counts(xs []int64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, " ")
}
