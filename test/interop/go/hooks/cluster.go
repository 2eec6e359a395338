package main

import (
	"errors"
	"sort"
	"strings"
)

// Hooks whose parents are cluster-scoped, as in Metacontroller's crd-roles, clusteredparent and
// secretpropagation examples (our own hooks, after what those examples do):
//
//   - crdReader decorates a CustomResourceDefinition with a ClusterRole "<crd>-reader" that may
//     get, list and watch its resources;
//   - bindDefault decorates a ClusterRole annotated example.test/bind-in=<namespace> with a
//     RoleBinding of that name granting it to the namespace's default ServiceAccount;
//   - secretCustomize and secretSync copy the Secret spec.source ("namespace/name") into every
//     namespace labelled spec.namespaceLabel=<value of spec.namespaceLabelValue>, and report
//     status.working "fine" with the number of copies.

func crdReader(request object) (object, error) {
	crd, _ := request["object"].(object)
	name := text(crd, "metadata", "name")
	group, plural := text(crd, "spec", "group"), text(crd, "spec", "names", "plural")
	if group == "" || plural == "" {
		return nil, errors.New("the CustomResourceDefinition has no spec.group or spec.names.plural")
	}
	return object{"attachments": []any{object{
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind":       "ClusterRole",
		"metadata":   object{"name": name + "-reader"},
		"rules": []any{object{
			"apiGroups": []any{group},
			"resources": []any{plural},
			"verbs":     []any{"get", "list", "watch"},
		}},
	}}}, nil
}

func bindDefault(request object) (object, error) {
	role, _ := request["object"].(object)
	name := text(role, "metadata", "name")
	namespace := text(role, "metadata", "annotations", "example.test/bind-in")
	if namespace == "" {
		return object{"attachments": []any{}}, nil
	}
	return object{"attachments": []any{object{
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind":       "RoleBinding",
		"metadata":   object{"name": name, "namespace": namespace},
		"roleRef":    object{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
		"subjects":   []any{object{"kind": "ServiceAccount", "name": "default", "namespace": namespace}},
	}}}, nil
}

func secretCustomize(request object) (object, error) {
	parent, _ := request["parent"].(object)
	source := strings.SplitN(text(parent, "spec", "source"), "/", 2)
	if len(source) != 2 {
		return nil, errors.New("spec.source must be namespace/name")
	}
	return object{"relatedResources": []any{
		object{"apiVersion": "v1", "resource": "secrets", "namespace": source[0], "names": []any{source[1]}},
		object{"apiVersion": "v1", "resource": "namespaces", "labelSelector": object{"matchLabels": object{
			text(parent, "spec", "namespaceLabel"): text(parent, "spec", "namespaceLabelValue"),
		}}},
	}}, nil
}

func secretSync(request object) (object, error) {
	parent, _ := request["parent"].(object)
	name := text(parent, "spec", "source")[strings.Index(text(parent, "spec", "source"), "/")+1:]
	secrets := observed(request, "related", "Secret.v1")
	namespaces := observed(request, "related", "Namespace.v1")
	if len(secrets) != 1 {
		return object{"children": []any{}, "status": object{"working": "no source", "copies": 0}}, nil
	}
	var source object
	for _, secret := range secrets {
		source, _ = secret.(map[string]any)
	}
	targets := make([]string, 0, len(namespaces))
	for key := range namespaces {
		targets = append(targets, key) // a v2 hook: cluster-scoped objects keyed by name
	}
	sort.Strings(targets)
	children := []any{}
	for _, namespace := range targets {
		if namespace == text(source, "metadata", "namespace") {
			continue
		}
		children = append(children, object{
			"apiVersion": "v1",
			"kind":       "Secret",
			"metadata":   object{"name": name, "namespace": namespace},
			"type":       field(source, "type"),
			"data":       field(source, "data"),
		})
	}
	return object{"children": children, "status": object{"working": "fine", "copies": len(children)}}, nil
}

// list answers a ConfigMap "<name>-list" whose data.items lists the keys of every related object
// the request holds, sorted, one per line, and reports their number as status.count: for the
// configmap-list-v2 and namespace-list-v2 scenarios, whose customize hooks differ.
func list(request object) (object, error) {
	parent, _ := request["parent"].(object)
	name, namespace := text(parent, "metadata", "name"), text(parent, "metadata", "namespace")
	keys := []string{}
	for _, group := range observed(request, "related") {
		byKey, _ := group.(map[string]any)
		for key := range byKey {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return object{
		"children": []any{configMap(name+"-list", namespace, map[string]string{"items": strings.Join(keys, "\n")})},
		"status":   object{"count": len(keys)},
	}, nil
}

// configMapsIn asks for every ConfigMap of the namespace spec.sourceNamespace (a v2 hook of a
// namespaced parent may name another namespace).
func configMapsIn(request object) (object, error) {
	parent, _ := request["parent"].(object)
	return object{"relatedResources": []any{object{
		"apiVersion": "v1", "resource": "configmaps", "namespace": text(parent, "spec", "sourceNamespace"),
	}}}, nil
}

// namespacesLabelled asks for the Namespaces whose labels match spec.selector.
func namespacesLabelled(request object) (object, error) {
	parent, _ := request["parent"].(object)
	return object{"relatedResources": []any{object{
		"apiVersion": "v1", "resource": "namespaces", "labelSelector": field(parent, "spec", "selector"),
	}}}, nil
}
