package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Ordered pods with their own volumes, as Metacontroller's catset example keeps them with its own
// hook: a CatSet (spec.replicas, spec.selector.matchLabels, spec.template,
// spec.volumeClaimTemplates) has Pods "<name>-<ordinal>", each with a PersistentVolumeClaim
// "<claim>-<name>-<ordinal>" per template. Pod n is asked for only once pods 0 to n-1 are Ready;
// scaling down removes the highest ordinal first, one at a time; claims stay, as a StatefulSet's
// do. The finalize hook scales to 0 the same way and says finalized once no Pod is left.

func catSetSync(request object) (object, error) { return catSet(request, false) }

func catSetFinalize(request object) (object, error) { return catSet(request, true) }

func catSet(request object, finalizing bool) (object, error) {
	parent, _ := request["parent"].(object)
	name := text(parent, "metadata", "name")
	replicas := number(parent, 1, "spec", "replicas")
	if finalizing {
		replicas = 0
	}
	pods := observed(request, "children", "Pod.v1")
	claims := observed(request, "children", "PersistentVolumeClaim.v1")
	ordinalOf := func(pod string) int {
		n, err := strconv.Atoi(strings.TrimPrefix(pod, name+"-"))
		if err != nil || !strings.HasPrefix(pod, name+"-") {
			return -1
		}
		return n
	}
	ready := func(ordinal int) bool {
		pod, _ := pods[fmt.Sprintf("%s-%d", name, ordinal)].(map[string]any)
		return pod != nil && condition(pod, "Ready", "True")
	}
	children := []any{}
	// Up: a pod that is there stays; a missing one is asked for once the ones before it are ready.
	blocked := false
	for ordinal := 0; ordinal < replicas; ordinal++ {
		if pods[fmt.Sprintf("%s-%d", name, ordinal)] != nil || !blocked {
			children = append(children, catPod(parent, ordinal))
			for _, claim := range catClaims(parent, ordinal) {
				children = append(children, claim)
			}
		}
		blocked = blocked || !ready(ordinal)
	}
	// Down: the ordinals above replicas stay, but for the highest.
	extra := []int{}
	for pod := range pods {
		if ordinal := ordinalOf(pod); ordinal >= replicas {
			extra = append(extra, ordinal)
		}
	}
	sort.Ints(extra)
	if len(extra) > 0 {
		for _, ordinal := range extra[:len(extra)-1] {
			children = append(children, catPod(parent, ordinal))
		}
	}
	// Claims stay after their pods are gone, for a pod of that ordinal to find again.
	asked := map[string]bool{}
	for _, child := range children {
		asked[text(child.(object), "kind")+"/"+text(child.(object), "metadata", "name")] = true
	}
	for key, claim := range claims {
		if !asked["PersistentVolumeClaim/"+key] {
			children = append(children, keptClaim(claim.(map[string]any)))
		}
	}
	readyCount := 0
	for pod := range pods {
		if ready(ordinalOf(pod)) {
			readyCount++
		}
	}
	response := object{"children": children, "status": object{"replicas": len(pods), "readyReplicas": readyCount}}
	if finalizing {
		response["finalized"] = len(pods) == 0
	}
	return response, nil
}

func catPod(parent object, ordinal int) object {
	name, namespace := text(parent, "metadata", "name"), text(parent, "metadata", "namespace")
	podName := fmt.Sprintf("%s-%d", name, ordinal)
	template := copyMap(field(parent, "spec", "template"))
	meta := copyMap(template["metadata"])
	labels := copyMap(meta["labels"])
	for key, value := range copyMap(field(parent, "spec", "selector", "matchLabels")) {
		labels[key] = value
	}
	spec := copyMap(template["spec"])
	spec["hostname"] = podName
	volumes, _ := spec["volumes"].([]any)
	for _, claim := range claimTemplates(parent) {
		claimName := text(claim, "metadata", "name")
		volumes = append(volumes, object{
			"name":                  claimName,
			"persistentVolumeClaim": object{"claimName": fmt.Sprintf("%s-%s", claimName, podName)},
		})
	}
	spec["volumes"] = volumes
	metadata := object{"name": podName, "namespace": namespace, "labels": labels}
	if annotations, ok := meta["annotations"].(map[string]any); ok {
		metadata["annotations"] = annotations
	}
	return object{"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
}

func claimTemplates(parent object) []object {
	list, _ := field(parent, "spec", "volumeClaimTemplates").([]any)
	out := []object{}
	for _, item := range list {
		if claim, ok := item.(map[string]any); ok {
			out = append(out, claim)
		}
	}
	return out
}

func catClaims(parent object, ordinal int) []object {
	name, namespace := text(parent, "metadata", "name"), text(parent, "metadata", "namespace")
	out := []object{}
	for _, claim := range claimTemplates(parent) {
		out = append(out, object{
			"apiVersion": "v1",
			"kind":       "PersistentVolumeClaim",
			"metadata": object{
				"name":      fmt.Sprintf("%s-%s-%d", text(claim, "metadata", "name"), name, ordinal),
				"namespace": namespace,
				"labels":    copyMap(field(parent, "spec", "selector", "matchLabels")),
			},
			"spec": field(claim, "spec"),
		})
	}
	return out
}

// keptClaim answers an observed claim as it is (its spec is immutable once bound).
func keptClaim(claim object) object {
	return object{
		"apiVersion": "v1",
		"kind":       "PersistentVolumeClaim",
		"metadata": object{
			"name": text(claim, "metadata", "name"), "namespace": text(claim, "metadata", "namespace"),
			"labels": field(claim, "metadata", "labels"),
		},
		"spec": object{
			"accessModes":      field(claim, "spec", "accessModes"),
			"resources":        field(claim, "spec", "resources"),
			"storageClassName": field(claim, "spec", "storageClassName"),
		},
	}
}
