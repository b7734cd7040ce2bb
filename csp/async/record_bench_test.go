package async

import (
	"context"
	"testing"
)

// BenchmarkRecords: what task records cost when they are on, beside the
// same work with them off, in the same run: a task that wakes itself (a
// wake and a poll), and a spawn joined at once (a spawn, a poll, a
// completion).
func BenchmarkRecords(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "records=off"
		if on {
			name = "records=on"
		}
		b.Run("op=wake/"+name, func(b *testing.B) {
			e := NewExecutor(Config{Workers: 1, Record: on})
			defer e.Close()
			b.ReportAllocs()
			b.ResetTimer()
			Spawn[int](e, selfWake{n: b.N}).Join(context.Background())
		})
		b.Run("op=spawn-join/"+name, func(b *testing.B) {
			e := NewExecutor(Config{Workers: 1, Record: on})
			defer e.Close()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				Spawn[int](e, ready{}).Join(ctx)
			}
		})
	}
}
