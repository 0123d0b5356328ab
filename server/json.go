package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
)

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, log *slog.Logger, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		log.Error("encode answer", "err", err)
		status, body = http.StatusInternalServerError, []byte(`{"error":"the answer could not be encoded"}`)
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// writeError answers {"error": msg}. msg is for users; err, the detail, goes
// to the log only.
func writeError(w http.ResponseWriter, log *slog.Logger, status int, msg string, err error) {
	if err != nil && log != nil {
		log.Error(msg, "status", status, "err", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, log, status, struct {
		Error string `json:"error"`
	}{msg})
}
