package main

import (
	"io"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParse(t *testing.T) {
	cfg, drain, err := parse([]string{"-addr", "0.0.0.0:1", "-idle-timeout", "1m", "-mode", "thread", "50001"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "0.0.0.0:50001" || cfg.IdleTimeout != time.Minute || cfg.Mode != "thread" || drain != 10*time.Second {
		t.Fatalf("parsed %+v, drain %v", cfg, drain)
	}
	cfg, _, err = parse([]string{"-mode", "reactor"}, io.Discard)
	if err != nil || cfg.Mode != "reactor" {
		t.Fatalf("-mode reactor: %+v, %v", cfg, err)
	}
	cfg, _, err = parse(nil, io.Discard)
	if err != nil || cfg.Addr != "127.0.0.1:50000" || cfg.MaxLineBytes != 64<<10 || cfg.MaxConns != 10000 {
		t.Fatalf("defaults: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{{"-addr", "nocolon", "1"}, {"-1"}, {"65536"}, {"-write-timeout", "0s"}} {
		if _, _, err := parse(args, io.Discard); err == nil {
			t.Errorf("parse(%q) accepted bad input", args)
		}
	}
}
