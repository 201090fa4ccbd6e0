// Package storagetest holds the tests every storage.Store backend must pass.
//
// Run is the conformance suite: the contract of package storage, case by
// case. Metamorphic applies one random sequence of operations to two stores
// and fails on the first result on which they differ; run against the memory
// reference backend, it checks another backend against the behaviour Run
// cannot enumerate.
package storagetest
