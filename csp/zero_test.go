package csp

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"testing/synctest"
)

// zeroValueCalls lists, for every exported type, a call of each of its
// methods on a zero value, and the panic it must raise. ctx is the context
// handed to the methods that take one.
func zeroValueCalls(ctx context.Context) []struct {
	typ    any // a pointer to the type, for its method set
	method string
	call   func()
	want   string
} {
	nop := func() error { return nil }
	init := func(context.Context) (int, error) { return 1, nil }
	const (
		semaphore    = "csp: Semaphore used without NewSemaphore"
		barrier      = "csp: Barrier used without NewBarrier"
		mutex        = "csp: Mutex used without NewMutex"
		rwMutex      = "csp: RWMutex used without NewRWMutex"
		notify       = "csp: Notify used without NewNotify"
		onceCell     = "csp: OnceCell used without NewOnceCell"
		broadcast    = "csp: Broadcast used without NewBroadcast"
		subscription = "csp: Subscription used without Broadcast.Subscribe"
		watch        = "csp: Watch used without NewWatch"
		watcher      = "csp: Watcher used without Watch.Subscribe"
		group        = "csp: Group used without NewGroup or WithContext"
	)
	return []struct {
		typ    any
		method string
		call   func()
		want   string
	}{
		{&Semaphore{}, "Acquire", func() { new(Semaphore).Acquire(ctx) }, semaphore},
		{&Semaphore{}, "AcquireN", func() { new(Semaphore).AcquireN(ctx, 1) }, semaphore},
		{&Semaphore{}, "TryAcquire", func() { new(Semaphore).TryAcquire() }, semaphore},
		{&Semaphore{}, "TryAcquireN", func() { new(Semaphore).TryAcquireN(1) }, semaphore},
		{&Semaphore{}, "Release", func() { new(Semaphore).Release() }, semaphore},
		{&Semaphore{}, "ReleaseN", func() { new(Semaphore).ReleaseN(1) }, semaphore},
		{&Semaphore{}, "Available", func() { new(Semaphore).Available() }, semaphore},
		{&Semaphore{}, "Capacity", func() { new(Semaphore).Capacity() }, semaphore},
		{&Semaphore{}, "Close", func() { new(Semaphore).Close() }, semaphore},

		{&Barrier{}, "Wait", func() { new(Barrier).Wait(ctx) }, barrier},
		{&Barrier{}, "Parties", func() { new(Barrier).Parties() }, barrier},

		{&Mutex{}, "Lock", func() { new(Mutex).Lock(ctx) }, mutex},
		{&Mutex{}, "TryLock", func() { new(Mutex).TryLock() }, mutex},
		{&Mutex{}, "Unlock", func() { new(Mutex).Unlock() }, mutex},

		{&RWMutex{}, "RLock", func() { new(RWMutex).RLock(ctx) }, rwMutex},
		{&RWMutex{}, "Lock", func() { new(RWMutex).Lock(ctx) }, rwMutex},
		{&RWMutex{}, "TryRLock", func() { new(RWMutex).TryRLock() }, rwMutex},
		{&RWMutex{}, "TryLock", func() { new(RWMutex).TryLock() }, rwMutex},
		{&RWMutex{}, "RUnlock", func() { new(RWMutex).RUnlock() }, rwMutex},
		{&RWMutex{}, "Unlock", func() { new(RWMutex).Unlock() }, rwMutex},

		{&Notify{}, "Wait", func() { new(Notify).Wait(ctx) }, notify},
		{&Notify{}, "NotifyOne", func() { new(Notify).NotifyOne() }, notify},
		{&Notify{}, "NotifyWaiters", func() { new(Notify).NotifyWaiters() }, notify},

		{&OnceCell[int]{}, "Get", func() { new(OnceCell[int]).Get() }, onceCell},
		{&OnceCell[int]{}, "Set", func() { new(OnceCell[int]).Set(1) }, onceCell},
		{&OnceCell[int]{}, "GetOrInit", func() { new(OnceCell[int]).GetOrInit(ctx, init) }, onceCell},

		{&Broadcast[int]{}, "Send", func() { new(Broadcast[int]).Send(1) }, broadcast},
		{&Broadcast[int]{}, "Subscribe", func() { new(Broadcast[int]).Subscribe() }, broadcast},
		{&Broadcast[int]{}, "Close", func() { new(Broadcast[int]).Close() }, broadcast},

		{&Subscription[int]{}, "Recv", func() { new(Subscription[int]).Recv(ctx) }, subscription},
		{&Subscription[int]{}, "Close", func() { new(Subscription[int]).Close() }, subscription},

		{&Watch[int]{}, "Send", func() { new(Watch[int]).Send(1) }, watch},
		{&Watch[int]{}, "Borrow", func() { new(Watch[int]).Borrow() }, watch},
		{&Watch[int]{}, "Subscribe", func() { new(Watch[int]).Subscribe() }, watch},
		{&Watch[int]{}, "Close", func() { new(Watch[int]).Close() }, watch},

		{&Watcher[int]{}, "Borrow", func() { new(Watcher[int]).Borrow() }, watcher},
		{&Watcher[int]{}, "Changed", func() { new(Watcher[int]).Changed(ctx) }, watcher},

		{&Group{}, "SetLimit", func() { new(Group).SetLimit(1) }, group},
		{&Group{}, "Go", func() { new(Group).Go(nop) }, group},
		{&Group{}, "GoContext", func() { new(Group).GoContext(ctx, nop) }, group},
		{&Group{}, "TryGo", func() { new(Group).TryGo(nop) }, group},
		{&Group{}, "Wait", func() { new(Group).Wait() }, group},
	}
}

// TestZeroValuePanics calls every method of every exported type on a zero
// value and checks that it panics at once with the message that names the
// constructor, with a live context (where a missing check would block
// forever, which the synctest bubble reports as a deadlock) and with a done
// one (where a missing check would return ctx.Err() instead).
func TestZeroValuePanics(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for _, ctx := range []context.Context{context.Background(), done} {
		for _, c := range zeroValueCalls(ctx) {
			name := reflect.TypeOf(c.typ).Elem().Name() + "." + c.method
			if ctx == done {
				name += "/done_ctx"
			}
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					defer func() {
						got := recover()
						if got == nil {
							t.Fatalf("returned, want a panic %q", c.want)
						}
						if got != c.want {
							t.Fatalf("panicked with %#v, want %q", got, c.want)
						}
					}()
					c.call()
				})
			})
		}
	}
}

// TestZeroValueCallsCoverEveryMethod keeps the table above complete: a
// method added to an exported type without a zero-value entry fails here.
func TestZeroValueCallsCoverEveryMethod(t *testing.T) {
	listed := map[reflect.Type][]string{}
	for _, c := range zeroValueCalls(context.Background()) {
		typ := reflect.TypeOf(c.typ)
		if _, ok := typ.MethodByName(c.method); !ok {
			t.Errorf("%v has no method %s", typ, c.method)
		}
		listed[typ] = append(listed[typ], c.method)
	}
	if len(listed) != 11 {
		t.Errorf("the table covers %d types, want the 11 exported types with constructors", len(listed))
	}
	for typ, methods := range listed {
		for i := range typ.NumMethod() {
			if m := typ.Method(i).Name; !slices.Contains(methods, m) {
				t.Errorf("%v.%s is not called on a zero value", typ, m)
			}
		}
	}
}
