package signal_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeSnippet: the go block under "## Using it" in README.md is the
// part of session's Example_usage between its README markers (indented
// one tab less), so the snippet compiles and runs with the tests.
func TestReadmeSnippet(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "\n## Using it\n")
	if !ok {
		t.Fatal(`README.md has no "## Using it" section`)
	}
	_, after, ok = strings.Cut(after, "```go\n")
	if !ok {
		t.Fatal(`README.md's "## Using it" has no go block`)
	}
	snippet, _, ok := strings.Cut(after, "```\n")
	if !ok {
		t.Fatal("README.md's go block does not end")
	}

	example, err := os.ReadFile("session/example_usage_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, region, ok := strings.Cut(string(example), "\t// README begin\n")
	if ok {
		region, _, ok = strings.Cut(region, "\t// README end\n")
	}
	if !ok {
		t.Fatal("session/example_usage_test.go lacks the README markers")
	}
	var want strings.Builder
	for _, line := range strings.SplitAfter(region, "\n") {
		want.WriteString(strings.TrimPrefix(line, "\t"))
	}
	if snippet != want.String() {
		t.Fatalf("README.md's snippet differs from Example_usage's README region:\n--- README.md\n%s--- session/example_usage_test.go\n%s", snippet, want.String())
	}
}
