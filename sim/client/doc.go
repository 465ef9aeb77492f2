// Package client is an application's view of a simulated cluster: a cluster-aware client
// (ClusterClient) that caches the slot map, follows MOVED and ASK and reports how each
// request ended, open-loop load (OpenLoop), and a Ledger of acknowledged writes that a
// read-back (ReadBack) checks for loss. Experiments and runbooks use it alike.
package client
