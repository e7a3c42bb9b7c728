// Package model is leasetop's lease index and the rules about leases.
//
// The index is a prefix tree of leases fed by listings and lookups, with
// counts and soonest expiries rolled up the tree as data arrives, and
// sorted, filtered views of the leases under any prefix. Beside it are the
// pure rules the UI shows: how a TTL prints, how urgent a lease is, why a
// lease cannot be renewed, how a person types a duration.
//
// The package knows neither the terminal nor HTTP, so all of it is tested
// with plain values. It keeps a lease in about 100 bytes (see
// BenchmarkIndex100k) and does no per-lease work on a UI tick: counts
// are kept up to date incrementally, soonest expiries are recomputed only
// below what changed, and sorting happens when the data or the query
// change, not per frame.
//
// An Index, and the Nodes and Leases it hands out, are not safe for
// concurrent use: the Bubble Tea Update loop owns them, and the goroutines
// that talk to Vault send it messages instead of touching them. The pure
// functions (FormatTTL, ParseDuration, Urgency...) are safe anywhere.
package model
