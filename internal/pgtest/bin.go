package pgtest

import (
	"cmp"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
)

// errNoServer says where the binaries were looked for and how to get them.
var errNoServer = errors.New("pgtest: PostgreSQL server binaries (initdb, pg_ctl) not found on PATH nor in /usr/lib/postgresql/*/bin: `make test` installs them (make postgresql: apt-get install -y postgresql)")

// debianRoot is where Debian's postgresql-<version> packages put their
// binaries.
const debianRoot = "/usr/lib/postgresql"

// FindBin returns the directory holding initdb and pg_ctl: PATH's, else
// the newest /usr/lib/postgresql/<version>/bin.
func FindBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dir = filepath.Dir(real) // pg_ctl and postgres sit beside the real file
		}
		if isExec(filepath.Join(dir, "pg_ctl")) {
			return dir, nil
		}
	}
	versions, _ := os.ReadDir(debianRoot)
	var dirs []string
	for _, v := range versions {
		dir := filepath.Join(debianRoot, v.Name(), "bin")
		if isExec(filepath.Join(dir, "initdb")) && isExec(filepath.Join(dir, "pg_ctl")) {
			dirs = append(dirs, dir)
		}
	}
	if len(dirs) == 0 {
		return "", errNoServer
	}
	slices.SortFunc(dirs, func(a, b string) int { return cmp.Compare(version(b), version(a)) })
	return dirs[0], nil
}

// version is the major version in a /usr/lib/postgresql/<v>/bin path.
func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
