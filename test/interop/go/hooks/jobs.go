package main

import "fmt"

// Two run-to-completion kinds, as Metacontroller's daemonjob and indexedjob examples define them,
// each with a hook of our own.
//
// A DaemonJob (spec.template) runs its pod template once on every node through a DaemonSet
// "<name>-dj"; once every scheduled pod is ready, the DaemonJob is Complete and the DaemonSet is
// removed. The hook answers the DaemonSet with a status of its own, which Metacontroller ignores.
//
// An IndexedJob (spec.completions, spec.parallelism, spec.template) runs Pods "<name>-<index>"
// for each index, at most parallelism at a time, each told its index in $INDEX; pods that ended
// stay, and the status counts them.

func daemonJob(request object) (object, error) {
	parent, _ := request["parent"].(object)
	name, namespace := text(parent, "metadata", "name"), text(parent, "metadata", "namespace")
	if condition(parent, "Complete", "True") {
		return object{"children": []any{}, "status": field(parent, "status")}, nil
	}
	sets := observed(request, "children", "DaemonSet.apps/v1")
	set, _ := sets[name+"-dj"].(map[string]any)
	desired := number(set, 0, "status", "desiredNumberScheduled")
	done := set != nil && desired > 0 && number(set, 0, "status", "numberReady") == desired &&
		number(set, 0, "status", "observedGeneration") >= number(set, 0, "metadata", "generation")
	if done {
		return object{"children": []any{}, "status": object{"conditions": []any{object{
			"type": "Complete", "status": "True", "reason": "AllNodesReady",
			"message": fmt.Sprintf("ready on %d of %d nodes", desired, desired),
			// Metacontroller prunes what the parent's schema does not declare.
			"observedGeneration": field(parent, "metadata", "generation"),
		}}}}, nil
	}
	labels := copyMap(field(parent, "spec", "selector", "matchLabels"))
	if len(labels) == 0 {
		labels = object{"daemonjob": name}
	}
	template := withLabels(field(parent, "spec", "template"), labels)
	return object{
		"children": []any{object{
			"apiVersion": "apps/v1",
			"kind":       "DaemonSet",
			"metadata":   object{"name": name + "-dj", "namespace": namespace, "labels": labels},
			"spec":       object{"selector": object{"matchLabels": labels}, "template": template},
			// A status a hook gives a child is not written: the DaemonSet controller owns it.
			"status": object{"conditions": []any{object{"type": "Complete", "status": "False", "observedGeneration": 1}}},
		}},
		"status": object{"conditions": []any{object{"type": "Complete", "status": "False", "reason": "Running"}}},
	}, nil
}

func indexedJob(request object) (object, error) {
	parent, _ := request["parent"].(object)
	name, namespace := text(parent, "metadata", "name"), text(parent, "metadata", "namespace")
	completions := number(parent, 1, "spec", "completions")
	parallelism := number(parent, 1, "spec", "parallelism")
	pods := observed(request, "children", "Pod.v1")
	pod := func(index int) object {
		template := copyMap(field(parent, "spec", "template"))
		meta := copyMap(template["metadata"])
		labels := copyMap(meta["labels"])
		labels["indexedjob"] = name
		spec := copyMap(template["spec"])
		spec["restartPolicy"] = "OnFailure"
		containers, _ := spec["containers"].([]any)
		withIndex := []any{}
		for _, item := range containers {
			container := copyMap(item)
			env, _ := container["env"].([]any)
			container["env"] = append(append([]any{}, env...), object{"name": "INDEX", "value": fmt.Sprint(index)})
			withIndex = append(withIndex, container)
		}
		spec["containers"] = withIndex
		return object{
			"apiVersion": "v1",
			"kind":       "Pod",
			"metadata":   object{"name": fmt.Sprintf("%s-%d", name, index), "namespace": namespace, "labels": labels},
			"spec":       spec,
		}
	}
	succeeded, failed, active := 0, 0, 0
	for _, observedPod := range pods {
		switch text(observedPod.(map[string]any), "status", "phase") {
		case "Succeeded":
			succeeded++
		case "Failed":
			failed++
		default:
			active++
		}
	}
	status := object{"succeeded": succeeded, "failed": failed, "active": active}
	// Pods that exist stay; a missing index starts while fewer than parallelism run.
	children := []any{}
	for index := 0; index < completions; index++ {
		if pods[fmt.Sprintf("%s-%d", name, index)] != nil {
			children = append(children, pod(index))
		} else if active < parallelism {
			children = append(children, pod(index))
			active++
		}
	}
	return object{"children": children, "status": status}, nil
}
