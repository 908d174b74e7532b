package explorer

import (
	"embed"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed web
var files embed.FS

// Web is the page's files: index.html and what it loads.
func Web() fs.FS {
	sub, err := fs.Sub(files, "web")
	if err != nil {
		panic(err) // the embedded directory is there at build time
	}
	return sub
}

// IsPagePath says whether an URL path is one of the page's files: "/" or
// "/explorer/<file>".
func IsPagePath(p string) bool {
	return p == "/" || strings.HasPrefix(p, "/explorer/")
}

// Handler serves "/" as index.html and "/explorer/<file>" from web/; an
// unknown file is a 404 in words. "/explorer/config.json" tells the page
// whether the API wants a token, so it asks for one before its first call
// instead of after a refusal.
func Handler(tokenRequired bool) http.Handler {
	web := Web()
	cfg := []byte(fmt.Sprintf("{\"token_required\": %t}\n", tokenRequired))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := "index.html"
		if r.URL.Path != "/" {
			name = strings.TrimPrefix(r.URL.Path, "/explorer/")
		}
		data, err := fs.ReadFile(web, name)
		if name == "config.json" {
			data, err = cfg, nil
		}
		if err != nil || name == "" || strings.Contains(name, "..") {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte("the explorer has no file " + r.URL.Path + "\n"))
			return
		}
		ct := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".html":
			ct = "text/html; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Cache-Control", "no-cache")
		// Only the page's own files run: no inline script, nothing from
		// another origin.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(data)
	})
}
