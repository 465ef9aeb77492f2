package experiments

import (
	"runtime"
	"sync"
)

// inParallel calls run(i) for every i in 0..n-1 on workers goroutines (GOMAXPROCS when
// workers ≤ 0) and returns the results by index, so that what follows sees them in the
// same order however they were scheduled. finished, if not nil, is called after each run
// with the number finished so far, one call at a time. After a run fails no new run
// starts, and the error returned is that of the failed run with the lowest index.
//
// Runs must not share mutable state: each simulated run builds its own cluster.
func inParallel[T any](n, workers int, run func(i int) (T, error), finished func(done int)) ([]T, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]T, n)
	errs := make([]error, n)
	var (
		mu     sync.Mutex
		next   int
		done   int
		failed bool
		wg     sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if failed || next == n {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				v, err := run(i)
				mu.Lock()
				out[i], errs[i] = v, err
				failed = failed || err != nil
				done++
				if finished != nil {
					finished(done)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
