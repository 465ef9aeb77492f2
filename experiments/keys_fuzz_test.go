package experiments

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzKeyLines holds the -keys-file reader to its rule on any bytes: one key per line,
// ended by "\n" or "\r\n" (the last line may lack it), batches numbered in order and
// indexed without gaps, and an error, never a panic, for a file with no line.
func FuzzKeyLines(f *testing.F) {
	for _, s := range []string{"", "\n", "a", "a\nb\n", "a\r\nb", "user:{42}:x\n\n\r\n", "\r", "a\rb\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out := make(chan batch, 4)
		errc := make(chan error, 1)
		go func() {
			errc <- readKeyLines(bytes.NewReader(data), "keys.txt", out)
			close(out)
		}()
		var got []string
		seq, index := 0, int64(0)
		for b := range out {
			if b.seq != seq || b.lo != index || b.hi != index+int64(len(b.lines)) || len(b.lines) == 0 {
				t.Fatalf("batch %d: seq %d, keys %d..%d of %d lines, want seq %d from %d", seq, b.seq, b.lo, b.hi, len(b.lines), seq, index)
			}
			got = append(got, b.lines...)
			seq, index = seq+1, b.hi
		}
		err := <-errc
		var want []string
		if len(data) > 0 {
			want = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			for i, l := range want {
				want[i] = strings.TrimSuffix(l, "\r")
			}
		}
		if len(want) == 0 {
			if err == nil || err.Error() != "keys: keys.txt holds no keys" {
				t.Fatalf("no line: error %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
			t.Fatalf("%q: read %q, want %q", data, got, want)
		}
	})
}
