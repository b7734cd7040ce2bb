// Package tests holds chansync's end-to-end tests, which build and run the
// programs under cmd/, and the repository-wide rules.
package tests

import (
	"testing"

	"github.com/chansync/chansync/echo"
	"github.com/chansync/chansync/internal/tcptest"
)

func TestMain(m *testing.M) {
	tcptest.VerifyTestMain(m, echo.DefaultAddr)
}
