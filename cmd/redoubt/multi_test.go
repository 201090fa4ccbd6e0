package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Transactions against the real binary with go-redis: TxPipelined, and the
// Watch retry loop under contention from concurrent clients.

func TestMultiGoRedis(t *testing.T) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			s := startServer(t, "")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c := s.client(func(o *redis.Options) { o.Protocol = proto; o.PoolSize = 16 })

			var incr *redis.IntCmd
			var get *redis.StringCmd
			cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "a", "1", 0)
				incr = p.Incr(ctx, "a")
				p.LPush(ctx, "a", "x") // run-time error: no rollback
				get = p.Get(ctx, "a")
				return nil
			})
			if err == nil || len(cmds) != 4 {
				t.Fatalf("TxPipelined: err %v, %d cmds; want the LPUSH WRONGTYPE error", err, len(cmds))
			}
			if incr.Val() != 2 || get.Val() != "2" {
				t.Fatalf("incr %d get %q", incr.Val(), get.Val())
			}

			// A watched key changed by another client aborts the
			// transaction with redis.TxFailedErr.
			err = c.Watch(ctx, func(tx *redis.Tx) error {
				if err := c.Set(ctx, "w", "other", 0).Err(); err != nil {
					return err
				}
				_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.Set(ctx, "w", "mine", 0)
					return nil
				})
				return err
			}, "w")
			if !errors.Is(err, redis.TxFailedErr) {
				t.Fatalf("Watch after a concurrent write: %v, want TxFailedErr", err)
			}
			if v := c.Get(ctx, "w").Val(); v != "other" {
				t.Fatalf("w = %q", v)
			}

			// The optimistic-locking counter: concurrent increments with
			// retries lose no update.
			const workers, each = 8, 25
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for i := 0; i < workers; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := 0; j < each; j++ {
						for {
							err := c.Watch(ctx, func(tx *redis.Tx) error {
								n, err := tx.Get(ctx, "counter").Int()
								if err != nil && err != redis.Nil {
									return err
								}
								_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
									p.Set(ctx, "counter", strconv.Itoa(n+1), 0)
									return nil
								})
								return err
							}, "counter")
							if err == nil {
								break
							}
							if !errors.Is(err, redis.TxFailedErr) {
								errs <- err
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if n, _ := c.Get(ctx, "counter").Int(); n != workers*each {
				t.Fatalf("counter = %d, want %d", n, workers*each)
			}
		})
	}
}
