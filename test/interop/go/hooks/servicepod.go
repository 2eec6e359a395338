package main

import (
	"fmt"
	"sort"
	"strings"
)

// A Service per pod of a StatefulSet, as Metacontroller's service-per-pod-v2 example does it
// with its own (v2) hooks: a StatefulSet annotated example.test/service-per-pod-port=<port> gets
// a Service "<name>-<ordinal>" per replica selecting that pod by the label the StatefulSet
// controller gives it. The hook writes the keys of the Services it was given into the annotation
// example.test/seen-services, so a test can tell v2's "namespace/name" keys. The finalize hook
// asks for none and says finalized once none is left.

const podNameLabel = "statefulset.kubernetes.io/pod-name"

func servicePerPod(request object) (object, error) {
	set, _ := request["object"].(object)
	name, namespace := text(set, "metadata", "name"), text(set, "metadata", "namespace")
	port := number(set, 80, "metadata", "annotations", "example.test/service-per-pod-port")
	attachments := []any{}
	for ordinal := 0; ordinal < number(set, 1, "spec", "replicas"); ordinal++ {
		pod := fmt.Sprintf("%s-%d", name, ordinal)
		attachments = append(attachments, object{
			"apiVersion": "v1",
			"kind":       "Service",
			"metadata":   object{"name": pod, "namespace": namespace},
			"spec": object{
				"selector": object{podNameLabel: pod},
				"ports":    []any{object{"port": port}},
			},
		})
	}
	return object{
		"attachments": attachments,
		"annotations": object{"example.test/seen-services": seenServices(request)},
	}, nil
}

func servicePerPodFinalize(request object) (object, error) {
	left := observed(request, "attachments", "Service.v1")
	return object{"attachments": []any{}, "finalized": len(left) == 0}, nil
}

func seenServices(request object) string {
	keys := []string{}
	for key := range observed(request, "attachments", "Service.v1") {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}
