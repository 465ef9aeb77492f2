package live

import (
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
)

// What a live run leaves on the host until it ends: redis-server processes, temporary
// folders, iptables chains. Each registers here how to undo it, and unregisters when it is
// undone the ordinary way; an interrupted command undoes what is left (HandleInterrupts).
var leftovers struct {
	mu   sync.Mutex
	next int
	undo map[int]func()
}

// onInterrupt registers undo and returns the function that unregisters it.
func onInterrupt(undo func()) (done func()) {
	leftovers.mu.Lock()
	defer leftovers.mu.Unlock()
	if leftovers.undo == nil {
		leftovers.undo = map[int]func(){}
	}
	id := leftovers.next
	leftovers.next++
	leftovers.undo[id] = undo
	return func() {
		leftovers.mu.Lock()
		defer leftovers.mu.Unlock()
		delete(leftovers.undo, id)
	}
}

// RemoveOnInterrupt removes the folder dir (and what is in it) if the command is
// interrupted before the returned function is called; call it once dir is removed.
func RemoveOnInterrupt(dir string) (done func()) {
	return onInterrupt(func() { _ = os.RemoveAll(dir) })
}

// Cleanup undoes, newest first, everything live runs have left on the host: it kills the
// redis-server processes, deletes the iptables chains and removes the temporary folders
// still registered. HandleInterrupts calls it; it is safe to call more than once.
func Cleanup() {
	leftovers.mu.Lock()
	ids := make([]int, 0, len(leftovers.undo))
	for id := range leftovers.undo {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var undo []func()
	for _, id := range slices.Backward(ids) {
		undo = append(undo, leftovers.undo[id])
		delete(leftovers.undo, id)
	}
	leftovers.mu.Unlock()
	for _, u := range undo {
		u()
	}
}

// HandleInterrupts makes SIGINT (Ctrl-C), SIGTERM, SIGHUP and SIGPIPE (a closed stdout,
// as when piping into head) run Cleanup and exit with the status a shell reports for that
// signal, 128 + its number. A command that starts servers calls it first thing; without it
// those signals end the process at once and leave the servers running. (A SIGKILL cannot
// be caught: the servers then die of their parent-death signal, see Server.Start.) The
// returned function stops the handling.
//
// Once a signal has arrived, the handler owns the exit: stop then blocks until the handler
// has cleaned up and exited. Without that, a run that fails because the cleanup killed
// its servers returned at once, and the command exited 1 while the cleanup was half done
// (seen under load in TestLiveRunInterruptedMidCut).
func HandleInterrupts() (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	quit := make(chan struct{})
	var mu sync.Mutex // held by the handler from the signal to the exit
	stopped := false
	go func() {
		select {
		case sig := <-ch:
			mu.Lock()
			if stopped { // the command was already on its way out, its own cleanup done
				mu.Unlock()
				return
			}
			Cleanup()
			os.Exit(128 + int(sig.(syscall.Signal)))
		case <-quit:
		}
	}()
	return func() {
		signal.Stop(ch)
		mu.Lock() // waits forever if the handler is exiting the process
		stopped = true
		mu.Unlock()
		close(quit)
	}
}
