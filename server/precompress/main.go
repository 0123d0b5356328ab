// Command precompress writes brotli (.br) and gzip (.gz) copies of a file
// beside it, at their best compression, once at build time: the server then
// sends the wasm client compressed without compressing it per request.
//
//	go run ./server/precompress web/app.wasm
package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/andybalholm/brotli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: precompress FILE")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "precompress:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	write := func(ext string, newWriter func(io.Writer) io.WriteCloser) error {
		tmp := path + ext + ".tmp"
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		w := newWriter(f)
		if _, err := w.Write(raw); err != nil {
			f.Close()
			return err
		}
		if err := w.Close(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		return os.Rename(tmp, path+ext) // whole or not at all
	}
	if err := write(".br", func(w io.Writer) io.WriteCloser { return brotli.NewWriterLevel(w, brotli.BestCompression) }); err != nil {
		return fmt.Errorf("brotli: %w", err)
	}
	if err := write(".gz", func(w io.Writer) io.WriteCloser {
		z, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
		return z
	}); err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	return nil
}
