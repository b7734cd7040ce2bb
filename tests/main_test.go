// Package tests holds chansync's end-to-end tests, which build and run the
// programs under cmd/, and the repository-wide rules.
package tests

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
