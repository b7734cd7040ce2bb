package tests

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// readmeMaxBytes bounds README.md: it says what chansync is, how to run and
// test it and where to read on; everything else lives in docs/.
const readmeMaxBytes = 12 * 1024

func TestDocsREADMESize(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > readmeMaxBytes {
		t.Errorf("README.md is %d bytes, more than %d: move the detail into docs/", len(b), readmeMaxBytes)
	}
}

// TestDocsLinks checks that every relative link and image in README.md and
// docs/**/*.md points at a file or folder of the repository, and that a
// #fragment pointing into a markdown file names one of its headings.
func TestDocsLinks(t *testing.T) {
	files := markdownFiles(t)
	for _, problem := range checkLinks(repoRoot, files) {
		t.Error(problem)
	}
}

// TestDocsQuotes checks that the Go code shown in README.md and docs/ is the
// source's: every ```go block follows a marker
//
//	<!-- quote PATH DECL -->
//
// naming a file of the repository and a declaration in it (func Name,
// func (T) Name, type Name) or the whole file ("file"), and the block must
// be that declaration's text line for line. A line holding only "..."
// stands for one or more lines left out; the lines around it must still
// appear in the source in the same order, so a block that was retyped, or
// that the source has moved away from, fails. A ```rust block after such
// a marker quotes a Rust file of the repository (rust/) the same way; a
// ```rust block without one is the tutorial's own code, shown as it
// wrote it.
func TestDocsQuotes(t *testing.T) {
	files := markdownFiles(t)
	quotes := 0
	for _, file := range files {
		b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(file)))
		if err != nil {
			t.Fatal(err)
		}
		blocks, problems := findQuotes(file, string(b))
		for _, p := range problems {
			t.Error(p)
		}
		for _, q := range blocks {
			quotes++
			src, err := sourceOf(repoRoot, q.path, q.decl)
			if err != nil {
				t.Errorf("%s:%d: %v", file, q.line, err)
				continue
			}
			if err := matchQuote(q.body, src); err != nil {
				t.Errorf("%s:%d: the block quoting %s %s differs from the source: %v", file, q.line, q.path, q.decl, err)
			}
		}
	}
	if quotes == 0 {
		t.Error("no quoted Go block in README.md or docs/: the check checked nothing")
	}
}

// markdownFiles returns README.md and every .md file under docs/, as
// slash-separated paths relative to the repository root.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md"}
	root := filepath.Join(repoRoot, "docs")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, err := filepath.Rel(repoRoot, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatal("no markdown file under docs/")
	}
	return files
}

// A docLink is a link or image target found in a markdown file.
type docLink struct {
	line   int
	target string
}

var (
	// [text](target) and ![alt](target), with an optional "title".
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// [label]: target
	refLink = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?`)
	// <img src="target"> and <a href="target">
	htmlLink = regexp.MustCompile(`(?i)<(?:img|a)\s[^>]*?(?:src|href)\s*=\s*"([^"]*)"`)
	// `code`, whose brackets are not links
	codeSpan = regexp.MustCompile("`+[^`]*`+")
)

// findLinks returns the link and image targets of a markdown text, outside
// fenced code blocks and code spans.
func findLinks(text string) []docLink {
	var links []docLink
	inFence := false
	for i, line := range strings.Split(text, "\n") {
		if isFence(line) {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		for _, re := range []*regexp.Regexp{inlineLink, refLink, htmlLink} {
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				links = append(links, docLink{i + 1, m[1]})
			}
		}
	}
	return links
}

func isFence(line string) bool {
	s := strings.TrimLeft(line, " ")
	return strings.HasPrefix(s, "```") || strings.HasPrefix(s, "~~~")
}

// checkLinks checks the links of the given markdown files (slash-separated,
// relative to root) and returns one message per broken link.
func checkLinks(root string, files []string) []string {
	var problems []string
	anchors := map[string]map[string]bool{} // markdown file → its heading anchors
	anchorsOf := func(file string) (map[string]bool, error) {
		if a, ok := anchors[file]; ok {
			return a, nil
		}
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			return nil, err
		}
		a := headingAnchors(string(b))
		anchors[file] = a
		return a, nil
	}
	for _, file := range files {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		for _, l := range findLinks(string(b)) {
			where := fmt.Sprintf("%s:%d: link %q", file, l.line, l.target)
			u, err := url.Parse(l.target)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", where, err))
				continue
			}
			if u.Scheme != "" || u.Host != "" {
				continue // not relative: the web is not checked
			}
			target := file
			if u.Path != "" {
				if path.IsAbs(u.Path) {
					problems = append(problems, where+": absolute path; use a path relative to the file")
					continue
				}
				target = path.Clean(path.Join(path.Dir(file), u.Path))
				if target == ".." || strings.HasPrefix(target, "../") {
					problems = append(problems, where+": points outside the repository")
					continue
				}
				info, err := os.Stat(filepath.Join(root, filepath.FromSlash(target)))
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s: %s does not exist", where, target))
					continue
				}
				if info.IsDir() && u.Fragment != "" {
					problems = append(problems, where+": a #fragment on a folder")
					continue
				}
			}
			if u.Fragment == "" || !strings.HasSuffix(target, ".md") {
				continue
			}
			a, err := anchorsOf(target)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", where, err))
				continue
			}
			if !a[u.Fragment] {
				problems = append(problems, fmt.Sprintf("%s: %s has no heading with anchor #%s", where, target, u.Fragment))
			}
		}
	}
	return problems
}

// headingAnchors returns the anchors that GitHub gives the ATX headings of
// a markdown text: lower case, punctuation dropped, spaces made hyphens, and
// -1, -2, ... appended to repeats.
func headingAnchors(text string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if isFence(line) {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		level := len(line) - len(strings.TrimLeft(line, "#"))
		if level > 6 || (len(line) > level && line[level] != ' ') {
			continue
		}
		slug := slugify(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(line[level:]), "#")))
		n := seen[slug]
		seen[slug]++
		if n > 0 {
			slug = fmt.Sprintf("%s-%d", slug, n)
		}
		anchors[slug] = true
	}
	return anchors
}

var mdLinkText = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)

func slugify(heading string) string {
	heading = mdLinkText.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.IsMark(r), r == '_', r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// A docQuote is a ```go block of a markdown file and the source it quotes.
type docQuote struct {
	line       int    // of the marker
	path, decl string // from the marker
	body       []string
}

var quoteMarker = regexp.MustCompile(`^<!--\s*quote\s+(\S+)\s+(.+?)\s*-->\s*$`)

// findQuotes returns the quoted Go blocks of a markdown file, and a message
// for each ```go block without a marker and each marker without a block.
func findQuotes(file, text string) ([]docQuote, []string) {
	var quotes []docQuote
	var problems []string
	lines := strings.Split(text, "\n")
	var pending *docQuote // a marker waiting for its block
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if m := quoteMarker.FindStringSubmatch(line); m != nil {
			if pending != nil {
				problems = append(problems, fmt.Sprintf("%s:%d: quote marker without a ```go block after it", file, pending.line))
			}
			pending = &docQuote{line: i + 1, path: m[1], decl: m[2]}
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if !isFence(line) {
			if pending != nil {
				problems = append(problems, fmt.Sprintf("%s:%d: quote marker without a ```go block after it", file, pending.line))
				pending = nil
			}
			continue
		}
		// A fenced block: find its end.
		fence := strings.TrimLeft(line, " ")
		info := strings.TrimSpace(strings.TrimLeft(fence, "`~"))
		end := i + 1
		for end < len(lines) && !(isFence(lines[end]) && strings.TrimSpace(strings.TrimLeft(strings.TrimLeft(lines[end], " "), "`~")) == "") {
			end++
		}
		isGo := info == "go" || strings.HasPrefix(info, "go ")
		isRust := info == "rust" || strings.HasPrefix(info, "rust ")
		switch {
		case isGo && pending == nil:
			problems = append(problems, fmt.Sprintf("%s:%d: a ```go block with no <!-- quote PATH DECL --> marker: show code from the source, not retyped", file, i+1))
		case (isGo || isRust) && pending != nil:
			pending.body = lines[i+1 : min(end, len(lines))]
			quotes = append(quotes, *pending)
		case pending != nil:
			problems = append(problems, fmt.Sprintf("%s:%d: quote marker followed by a ```%s block, not ```go or ```rust", file, pending.line, info))
		}
		pending = nil
		i = end
	}
	if pending != nil {
		problems = append(problems, fmt.Sprintf("%s:%d: quote marker without a ```go block after it", file, pending.line))
	}
	return quotes, problems
}

// sourceOf returns the lines of a declaration in a Go file of the
// repository, its doc comment excluded: decl is "file" (the whole file),
// "func Name", "func (T) Name" or "func (r *T) Name" (a method of T), or
// "type Name". In a Rust file (.rs, the Tokio programs under rust/) decl
// is "file" or an item, "fn name", "struct Name", "impl Name", "enum Name"
// or "macro_rules! name", as rustfmt lays it out: from the line that
// starts it to the closing brace at its indentation.
func sourceOf(root, file, decl string) ([]string, error) {
	src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
	if err != nil {
		return nil, err
	}
	if decl == "file" {
		return strings.Split(strings.TrimRight(string(src), "\n"), "\n"), nil
	}
	if strings.HasSuffix(file, ".rs") {
		return rustItem(file, string(src), decl)
	}
	kind, name, ok := strings.Cut(decl, " ")
	if !ok || (kind != "func" && kind != "type") {
		return nil, fmt.Errorf("quote of %q: want file, func Name, func (T) Name or type Name", decl)
	}
	recv := ""
	if kind == "func" && strings.HasPrefix(name, "(") {
		r, rest, ok := strings.Cut(name[1:], ")")
		if !ok {
			return nil, fmt.Errorf("quote of %q: unclosed receiver", decl)
		}
		f := strings.Fields(r)
		if len(f) == 0 {
			return nil, fmt.Errorf("quote of %q: empty receiver", decl)
		}
		recv = strings.TrimPrefix(f[len(f)-1], "*")
		recv, _, _ = strings.Cut(recv, "[")
		name = strings.TrimSpace(rest)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var found []ast.Node
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if kind == "func" && d.Name.Name == name && receiverType(d) == recv {
				found = append(found, d)
			}
		case *ast.GenDecl:
			if kind != "type" || d.Tok != token.TYPE {
				continue
			}
			for _, s := range d.Specs {
				if s.(*ast.TypeSpec).Name.Name == name {
					if d.Lparen.IsValid() {
						found = append(found, s) // one spec of a type ( ... ) group
					} else {
						found = append(found, d)
					}
				}
			}
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%s: %d declarations match %q, want 1", file, len(found), decl)
	}
	start := fset.Position(found[0].Pos()).Offset
	end := fset.Position(found[0].End()).Offset
	// Start at the beginning of the line, so that the indentation of the
	// first line is kept.
	start = bytes.LastIndexByte(src[:start], '\n') + 1
	return strings.Split(string(src[start:end]), "\n"), nil
}

// rustItem returns the lines of the item decl ("fn name", "struct Name",
// ...) of a Rust source: the one line that opens it, at any indentation
// and with any visibility, through the first line after it that is only a
// closing brace at the same indentation.
func rustItem(file, src, decl string) ([]string, error) {
	kind, name, ok := strings.Cut(decl, " ")
	if !ok || !slices.Contains([]string{"fn", "struct", "impl", "enum", "macro_rules!"}, kind) {
		return nil, fmt.Errorf("quote of %q in a Rust file: want file, fn name, struct Name, impl Name, enum Name or macro_rules! name", decl)
	}
	opens := regexp.MustCompile(`^(\s*)(?:pub(?:\([a-z]+\))? )?(?:async )?` + regexp.QuoteMeta(kind) + ` ` + regexp.QuoteMeta(name) + `\b`)
	lines := strings.Split(src, "\n")
	var found [][]string
	for i, l := range lines {
		m := opens.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		end := i
		for end < len(lines) && lines[end] != m[1]+"}" && !(end == i && strings.HasSuffix(l, "}")) {
			end++
		}
		if end == len(lines) {
			return nil, fmt.Errorf("%s: %q has no closing brace at its indentation", file, decl)
		}
		found = append(found, lines[i:end+1])
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%s: %d items match %q, want 1", file, len(found), decl)
	}
	return found[0], nil
}

// receiverType returns the name of a method's receiver type, or "" for a
// function.
func receiverType(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return ""
	}
	t := d.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// matchQuote reports whether doc, a quoted block, is src with some runs of
// lines replaced by "..." lines: the other lines must equal src's, in
// order, each "..." standing for at least one line. Trailing spaces are
// ignored; indentation is not.
func matchQuote(doc, src []string) error {
	trim := func(ls []string) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = strings.TrimRight(l, " \t\r")
		}
		return out
	}
	doc, src = trim(doc), trim(src)
	// Split doc into the runs of lines between "..." lines.
	var runs [][]string
	run := []string{}
	for _, l := range doc {
		if strings.TrimSpace(l) == "..." {
			runs = append(runs, run)
			run = []string{}
			continue
		}
		run = append(run, l)
	}
	runs = append(runs, run)
	if len(runs) == 1 {
		if slices.Equal(doc, src) {
			return nil
		}
		return firstDifference(doc, src)
	}
	// runs[0] must open src, runs[last] must close it, and each run in
	// between must follow the previous one with at least one line skipped.
	first, last := runs[0], runs[len(runs)-1]
	if len(first) > len(src) || !slices.Equal(first, src[:len(first)]) {
		return firstDifference(first, src[:min(len(first), len(src))])
	}
	pos := len(first)
	for i, r := range runs[1 : len(runs)-1] {
		if len(r) == 0 {
			return fmt.Errorf(`two "..." lines in a row (after run %d)`, i+1)
		}
		at := indexRun(src, r, pos+1)
		if at < 0 {
			return fmt.Errorf("after a %q line, these lines are not in the source in this order:\n%s", "...", strings.Join(r, "\n"))
		}
		pos = at + len(r)
	}
	tail := len(src) - len(last)
	if tail < pos+1 || !slices.Equal(last, src[tail:]) {
		return fmt.Errorf("the lines after the last %q do not end the source as quoted:\n%s", "...", strings.Join(last, "\n"))
	}
	return nil
}

// indexRun returns the first index at or after from where run occurs in src,
// or -1.
func indexRun(src, run []string, from int) int {
	for i := from; i+len(run) <= len(src); i++ {
		if slices.Equal(src[i:i+len(run)], run) {
			return i
		}
	}
	return -1
}

// firstDifference describes the first line where doc and src differ.
func firstDifference(doc, src []string) error {
	for i := range max(len(doc), len(src)) {
		switch {
		case i >= len(doc):
			return fmt.Errorf("the source goes on after the quote ends: line %d is %q", i+1, src[i])
		case i >= len(src):
			return fmt.Errorf("the quote goes on after the source ends: %q", doc[i])
		case doc[i] != src[i]:
			return fmt.Errorf("line %d: quoted %q, the source has %q", i+1, doc[i], src[i])
		}
	}
	return nil
}

// TestDocsCheckers runs the link and quote checkers on small inputs, good
// and broken, so that a checker that accepts everything fails here.
func TestDocsCheckers(t *testing.T) {
	src := []string{"func F() {", "\ta()", "\tb()", "\tc()", "\td()", "}"}
	for _, tc := range []struct {
		doc []string
		ok  bool
	}{
		{src, true},
		{[]string{"func F() {", "\ta()", "...", "\td()", "}"}, true},
		{[]string{"func F() {", "...", "\tc()", "...", "}"}, true},
		{[]string{"func F() {", "\ta()", "\tb()", "\tc()", "\td()"}, false},                 // the end left out without "..."
		{[]string{"func F() {", "\ta() // retyped", "\tb()", "\tc()", "\td()", "}"}, false}, // a comment that the source lacks
		{[]string{"func F() {", "...", "\tc()", "\tb()", "...", "}"}, false},                // out of order
		{[]string{"func F() {", "...", "\ta()", "\tb()", "\tc()", "\td()", "}"}, false},     // "..." standing for nothing
		{[]string{"func F() {", "...", "\te()", "...", "}"}, false},                         // a line the source lacks
		{[]string{"func F() {", "  a()", "...", "}"}, false},                                // indentation changed
	} {
		err := matchQuote(tc.doc, src)
		if (err == nil) != tc.ok {
			t.Errorf("matchQuote(%q): err = %v, want ok = %v", tc.doc, err, tc.ok)
		}
	}

	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("docs/a.png", "")
	write("docs/b.md", "# The `Poll` method, by hand\n\n## Costs\n\n## Costs\n")
	write("code.go", "package x\n\n// T is a thing.\ntype T struct {\n\tn int\n}\n\n// Poll polls.\nfunc (t *T) Poll() int {\n\treturn t.n\n}\n")
	write("README.md", strings.Join([]string{
		"[ok](docs/b.md#the-poll-method-by-hand) [ok](docs/b.md#costs-1) ![ok](docs/a.png) [web](https://example.com/x.md)",
		"[ok](#a-heading) `[not a link](nowhere.md)`",
		"# A heading",
		"```",
		"[not a link](nowhere.md)",
		"```",
		"[broken](docs/c.md) ![broken](docs/missing.png) [broken](docs/b.md#no-such-heading)",
		"[broken](#no-heading) [broken](../outside.md) <img src=\"docs/gone.png\">",
		"[label]: docs/also-gone.md",
	}, "\n"))
	problems := checkLinks(dir, []string{"README.md"})
	var broken []string
	for _, p := range problems {
		if !strings.HasPrefix(p, "README.md:7:") && !strings.HasPrefix(p, "README.md:8:") && !strings.HasPrefix(p, "README.md:9:") {
			t.Errorf("a good link reported: %s", p)
		}
		broken = append(broken, p)
	}
	if len(broken) != 7 {
		t.Errorf("checkLinks found %d broken links, want 7:\n%s", len(broken), strings.Join(broken, "\n"))
	}

	got, err := sourceOf(dir, "code.go", "func (t *T) Poll")
	if err != nil || !slices.Equal(got, []string{"func (t *T) Poll() int {", "\treturn t.n", "}"}) {
		t.Errorf("sourceOf(func (t *T) Poll) = %q, %v", got, err)
	}
	got, err = sourceOf(dir, "code.go", "type T")
	if err != nil || !slices.Equal(got, []string{"type T struct {", "\tn int", "}"}) {
		t.Errorf("sourceOf(type T) = %q, %v", got, err)
	}
	if _, err := sourceOf(dir, "code.go", "func Poll"); err == nil {
		t.Error("sourceOf(func Poll) found a function where there is only a method")
	}

	write("prog.rs", "//! A program.\n\nstruct T;\n\n/// Serves.\npub async fn serve(port: u16) {\n    loop {\n        accept();\n    }\n}\n\nimpl T {\n    fn f(&self) {}\n    fn serve() {\n    }\n}\n")
	got, err = sourceOf(dir, "prog.rs", "fn serve")
	if err == nil {
		t.Errorf("sourceOf(fn serve) found one of two functions: %q", got)
	}
	got, err = sourceOf(dir, "prog.rs", "impl T")
	if err != nil || len(got) != 5 || got[0] != "impl T {" || got[4] != "}" {
		t.Errorf("sourceOf(impl T) = %q, %v", got, err)
	}
	got, err = sourceOf(dir, "prog.rs", "fn f")
	if err != nil || !slices.Equal(got, []string{"    fn f(&self) {}"}) {
		t.Errorf("sourceOf(fn f) = %q, %v", got, err)
	}
	write("one.rs", "pub async fn serve(port: u16) {\n    loop {\n        accept();\n    }\n}\n")
	got, err = sourceOf(dir, "one.rs", "fn serve")
	if err != nil || !slices.Equal(got, []string{"pub async fn serve(port: u16) {", "    loop {", "        accept();", "    }", "}"}) {
		t.Errorf("sourceOf(fn serve) = %q, %v", got, err)
	}
	if _, err := sourceOf(dir, "one.rs", "type serve"); err == nil {
		t.Error("sourceOf(type serve) in a Rust file: no error")
	}

	rq, rp := findQuotes("r.md", "<!-- quote one.rs fn serve -->\n```rust\npub async fn serve(port: u16) {\n```\n\n```rust\nasync fn tutorial() {}\n```\n<!-- quote one.rs fn serve -->\n```text\nx\n```\n")
	if len(rq) != 1 || len(rp) != 1 || !strings.Contains(rp[0], "not ```go or ```rust") {
		t.Errorf("findQuotes: %d quotes, problems %q; want 1 quote (a tutorial's unmarked ```rust block is no problem) and 1 problem (a marker before ```text)", len(rq), rp)
	}

	quotes, qp := findQuotes("x.md", "<!-- quote code.go type T -->\n```go\ntype T struct {\n```\n\n```go\nretyped()\n```\n<!-- quote code.go type T -->\ntext\n")
	if len(quotes) != 1 || len(qp) != 2 {
		t.Errorf("findQuotes: %d quotes, problems %q; want 1 quote and 2 problems (an unmarked block, a marker without a block)", len(quotes), qp)
	}
}
