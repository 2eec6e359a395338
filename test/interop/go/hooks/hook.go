package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
)

// hook serves one hook: it decodes the request, calls handle, and answers what it returns; an
// error from handle answers 400 with its text.
func hook(handle func(request object) (object, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		request, ok := decode(w, r)
		if !ok {
			return
		}
		response, err := handle(request)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		answer(w, response)
	}
}

// observed returns a map of objects in a request, such as ("children", "Pod.v1"), keyed as the
// request keys them (an empty map when there are none).
func observed(request object, path ...string) map[string]any {
	found, _ := field(request, path...).(map[string]any)
	if found == nil {
		found = map[string]any{}
	}
	return found
}

// number reads an integer field, or fallback when it is absent.
func number(o object, fallback int, path ...string) int {
	switch value := field(o, path...).(type) {
	case float64:
		return int(value)
	case string:
		if n, err := strconv.Atoi(value); err == nil {
			return n
		}
	}
	return fallback
}

// fingerprint is a short hash of a value's JSON: two equal templates have equal fingerprints.
func fingerprint(value any) string {
	encoded, _ := json.Marshal(value)
	h := fnv.New32a()
	_, _ = h.Write(encoded)
	return fmt.Sprintf("%08x", h.Sum32())
}

// copyMap returns a shallow copy of a JSON object (nil gives an empty one).
func copyMap(given any) object {
	out := object{}
	if m, ok := given.(map[string]any); ok {
		for key, value := range m {
			out[key] = value
		}
	}
	return out
}

// withLabels returns a copy of a pod template whose metadata.labels also hold these labels.
func withLabels(template any, labels object) object {
	out := copyMap(template)
	meta := copyMap(out["metadata"])
	merged := copyMap(meta["labels"])
	for key, value := range labels {
		merged[key] = value
	}
	meta["labels"] = merged
	out["metadata"] = meta
	return out
}

// condition reports whether an object's status holds the condition type=status.
func condition(o object, kind, status string) bool {
	list, _ := field(o, "status", "conditions").([]any)
	for _, item := range list {
		c, _ := item.(map[string]any)
		if text(c, "type") == kind && text(c, "status") == status {
			return true
		}
	}
	return false
}
