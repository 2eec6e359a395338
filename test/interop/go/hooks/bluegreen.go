package main

import "fmt"

// A blue-green rollout, as Metacontroller's bluegreen example does it with its own hook: a
// BlueGreen parent (spec.replicas, spec.selector.matchLabels, spec.template) has two ReplicaSets,
// "<name>-blue" and "<name>-green", and a Service "<name>" sending traffic to the active one. A
// new template goes to the inactive ReplicaSet; once all its replicas are ready the Service
// switches to it and the other scales to 0. The status copies the active ReplicaSet's status
// whole (the parent's schema keeps what it declares) with the color and the generation seen.

const templateAnnotation = "example.test/template"

func blueGreen(request object) (object, error) {
	parent, _ := request["parent"].(object)
	name, namespace := text(parent, "metadata", "name"), text(parent, "metadata", "namespace")
	replicas := number(parent, 1, "spec", "replicas")
	template, _ := field(parent, "spec", "template").(map[string]any)
	want := fingerprint(template)
	sets := observed(request, "children", "ReplicaSet.apps/v1")
	find := func(color string) object {
		set, _ := sets[name+"-"+color].(map[string]any) // a v1 hook: children keyed by name
		return set
	}
	active := text(parent, "status", "activeColor")
	if active == "" {
		active = "blue"
	}
	inactive := map[string]string{"blue": "green", "green": "blue"}[active]
	current, other := find(active), find(inactive)
	// A version is a template and its fingerprint; a set keeps the one it was given.
	type version struct {
		template any
		print    string
	}
	asked := version{template, want}
	kept := func(set object) version {
		return version{field(set, "spec", "template"), text(set, "metadata", "annotations", templateAnnotation)}
	}
	activeReplicas, otherReplicas := replicas, 0
	activeVersion, otherVersion := asked, asked
	if current != nil && kept(current).print != want {
		// A new template: it goes to the inactive set, which takes over once all its replicas are ready.
		activeVersion, otherReplicas = kept(current), replicas
		if other != nil && kept(other).print == want &&
			number(other, 0, "status", "readyReplicas") == replicas &&
			number(other, 0, "status", "observedGeneration") >= number(other, 0, "metadata", "generation") {
			active, inactive = inactive, active
			current, activeVersion, otherVersion = other, asked, activeVersion
			otherReplicas = 0
		}
	} else if other != nil {
		// At rest: the inactive set keeps the template it had, at 0 replicas.
		otherVersion = kept(other)
	}
	selector := copyMap(field(parent, "spec", "selector", "matchLabels"))
	set := func(color string, replicas int, version version) object {
		labels := copyMap(selector)
		labels["color"] = color
		spec := withLabels(version.template, labels)
		return object{
			"apiVersion": "apps/v1",
			"kind":       "ReplicaSet",
			"metadata": object{
				"name": fmt.Sprintf("%s-%s", name, color), "namespace": namespace, "labels": labels,
				"annotations": object{templateAnnotation: version.print},
			},
			"spec": object{"replicas": replicas, "selector": object{"matchLabels": labels}, "template": spec},
		}
	}
	serviceSelector := copyMap(selector)
	serviceSelector["color"] = active
	service := object{
		"apiVersion": "v1",
		"kind":       "Service",
		"metadata":   object{"name": name, "namespace": namespace},
		"spec":       object{"selector": serviceSelector, "ports": []any{object{"port": 80}}},
	}
	status := object{"activeColor": active, "observedGeneration": field(parent, "metadata", "generation")}
	if current != nil {
		status["active"] = field(current, "status")
	}
	return object{
		"children": []any{set(active, activeReplicas, activeVersion), set(inactive, otherReplicas, otherVersion), service},
		"status":   status,
	}, nil
}
