// A Metacontroller hook server written with Go's standard library only, as a user of
// Metacontroller would write one, for the tests of CompositeController and DecoratorController
// on our runtime. Greeting parents (example.test/v1) get a ConfigMap "<name>-greeting" holding
// spec.message; spec.mode "fail" answers 500, "slow" answers after the hook's timeout, and
// "child-status" puts a status on the ConfigMap (Metacontroller ignores a child's status).
// Decorated objects get a ConfigMap "<name>-decoration" and the label decorated=true; mirrored
// ConfigMaps a copy "<name>-mirror", removed by their finalize hook; a cluster-scoped
// Propagation copies a ConfigMap into every namespace with its label. The
// related hooks ask, per parent, for the Secret spec.secret names, and count what they got; the
// team hooks (version v2) ask for shared ConfigMaps in the namespaces of the parent's team.
// The hooks of Metacontroller's example controllers, for examples.test.ts, are in the other files
// of this package: bluegreen.go, catset.go, jobs.go, cluster.go and servicepod.go, on hook.go's
// helpers.
//
//	hooks --listen 127.0.0.1:0   (prints {"listening": "<address>"})
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

type object = map[string]any

func field(o object, path ...string) any {
	var current any = o
	for _, key := range path {
		m, ok := current.(map[string]any)
		if !ok {
			return nil
		}
		current = m[key]
	}
	return current
}

func text(o object, path ...string) string {
	s, _ := field(o, path...).(string)
	return s
}

func configMap(name, namespace string, data map[string]string) object {
	return object{"apiVersion": "v1", "kind": "ConfigMap", "metadata": object{"name": name, "namespace": namespace}, "data": data}
}

func decode(w http.ResponseWriter, r *http.Request) (object, bool) {
	var body object
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return nil, false
	}
	return body, true
}

func answer(w http.ResponseWriter, body object) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// greetings serves the CompositeController; version tells two hook URLs apart.
func greetings(version string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		request, ok := decode(w, r)
		if !ok {
			return
		}
		parent, _ := request["parent"].(object)
		switch text(parent, "spec", "mode") {
		case "fail":
			http.Error(w, `{"error":"failing on purpose"}`, http.StatusInternalServerError)
			return
		case "slow":
			time.Sleep(3 * time.Second)
		}
		name, namespace := text(parent, "metadata", "name"), text(parent, "metadata", "namespace")
		children, _ := field(request, "children", "ConfigMap.v1").(map[string]any)
		data := map[string]string{"message": text(parent, "spec", "message"), "hook": version}
		child := configMap(name+"-greeting", namespace, data)
		if text(parent, "spec", "mode") == "child-status" {
			child["status"] = object{"phase": "ignored"}
		}
		answer(w, object{
			"children": []any{child},
			"status":   object{"configMaps": len(children), "hook": version},
		})
	}
}

// finalize keeps the parent until it carries the annotation example.test/release=true.
func finalize(request object) (object, error) {
	parent, _ := request["parent"].(object)
	released := text(parent, "metadata", "annotations", "example.test/release") == "true"
	return object{"children": []any{}, "status": object{"finalizing": true}, "finalized": released}, nil
}

func decorate(request object) (object, error) {
	target, _ := request["object"].(object)
	name, namespace := text(target, "metadata", "name"), text(target, "metadata", "namespace")
	return object{
		"labels":      object{"decorated": "true"},
		"attachments": []any{configMap(name+"-decoration", namespace, map[string]string{"for": name})},
	}, nil
}

// mirror decorates a ConfigMap with a copy of its data, the ConfigMap "<name>-mirror".
func mirror(request object) (object, error) {
	target, _ := request["object"].(object)
	name, namespace := text(target, "metadata", "name"), text(target, "metadata", "namespace")
	data := map[string]string{}
	if given, ok := target["data"].(map[string]any); ok {
		for key, value := range given {
			data[key], _ = value.(string)
		}
	}
	return object{"attachments": []any{configMap(name+"-mirror", namespace, data)}}, nil
}

// mirrorFinalize asks for no attachments, and says finalized once none is left.
func mirrorFinalize(request object) (object, error) {
	left, _ := field(request, "attachments", "ConfigMap.v1").(map[string]any)
	return object{"attachments": []any{}, "finalized": len(left) == 0}, nil
}

// propagateCustomize (version v2, for a cluster-scoped parent) asks for the namespaces labelled
// propagate=<spec.label> and for the source ConfigMap spec.source ("namespace/name").
func propagateCustomize(request object) (object, error) {
	parent, _ := request["parent"].(object)
	source := strings.SplitN(text(parent, "spec", "source"), "/", 2)
	if len(source) != 2 {
		return nil, errors.New("spec.source must be namespace/name")
	}
	return object{"relatedResources": []any{
		object{"apiVersion": "v1", "resource": "namespaces", "labelSelector": object{"matchLabels": object{"propagate": text(parent, "spec", "label")}}},
		object{"apiVersion": "v1", "resource": "configmaps", "namespace": source[0], "names": []any{source[1]}},
	}}, nil
}

// propagateSync copies the source ConfigMap's data into a ConfigMap "<parent>-copy" in each
// related namespace, and reports how many it asked for.
func propagateSync(request object) (object, error) {
	parent, _ := request["parent"].(object)
	name := text(parent, "metadata", "name")
	namespaces, _ := field(request, "related", "Namespace.v1").(map[string]any)
	sources, _ := field(request, "related", "ConfigMap.v1").(map[string]any)
	data := map[string]string{}
	for _, source := range sources {
		if given, ok := field(source.(map[string]any), "data").(map[string]any); ok {
			for key, value := range given {
				data[key], _ = value.(string)
			}
		}
	}
	children := []any{}
	if len(sources) == 1 {
		for namespace := range namespaces {
			children = append(children, configMap(name+"-copy", namespace, data))
		}
	}
	return object{"children": children, "status": object{"copies": len(children)}}, nil
}

// roll answers three Deployments "<name>-0" to "<name>-2" of one replica, labelled with the
// parent's spec.version, in that order (a rolling update changes them in the order given).
func roll(request object) (object, error) {
	parent, _ := request["parent"].(object)
	name, namespace := text(parent, "metadata", "name"), text(parent, "metadata", "namespace")
	version := text(parent, "spec", "version")
	children := []any{}
	for i := 0; i < 3; i++ {
		member := fmt.Sprintf("%s-%d", name, i)
		labels := object{"member": member, "version": version}
		children = append(children, object{
			"apiVersion": "apps/v1",
			"kind":       "Deployment",
			"metadata":   object{"name": member, "namespace": namespace, "labels": labels},
			"spec": object{
				"replicas": 1,
				"selector": object{"matchLabels": object{"member": member}},
				"template": object{
					"metadata": object{"labels": labels},
					"spec":     object{"containers": []any{object{"name": "app", "image": "example.test/app:" + version}}},
				},
			},
		})
	}
	return object{"children": children}, nil
}

// customize asks for the Secret the parent names.
func customize(request object) (object, error) {
	parent, _ := request["parent"].(object)
	return object{"relatedResources": []any{object{"apiVersion": "v1", "resource": "secrets", "names": []any{text(parent, "spec", "secret")}}}}, nil
}

// related answers a ConfigMap "<name>-related" saying how many related Secrets it was given.
func related(request object) (object, error) {
	parent, _ := request["parent"].(object)
	name, namespace := text(parent, "metadata", "name"), text(parent, "metadata", "namespace")
	secrets, _ := field(request, "related", "Secret.v1").(map[string]any)
	count := fmt.Sprint(len(secrets))
	return object{"children": []any{configMap(name+"-related", namespace, map[string]string{"secrets": count})}, "status": object{"secrets": count}}, nil
}

// teamCustomize (a version v2 hook) asks for the ConfigMaps labelled shared=yes in every
// namespace labelled team=<spec.team>.
func teamCustomize(request object) (object, error) {
	parent, _ := request["parent"].(object)
	return object{"relatedResources": []any{object{
		"apiVersion":        "v1",
		"resource":          "configmaps",
		"labelSelector":     object{"matchLabels": object{"shared": "yes"}},
		"namespaceSelector": object{"matchLabels": object{"team": text(parent, "spec", "team")}},
	}}}, nil
}

// teamSync answers a ConfigMap "<name>-team" listing the related ConfigMaps' keys
// ("namespace/name" in version v2), sorted, one per line.
func teamSync(request object) (object, error) {
	parent, _ := request["parent"].(object)
	name, namespace := text(parent, "metadata", "name"), text(parent, "metadata", "namespace")
	maps, _ := field(request, "related", "ConfigMap.v1").(map[string]any)
	keys := make([]string, 0, len(maps))
	for key := range maps {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return object{"children": []any{configMap(name+"-team", namespace, map[string]string{"shared": strings.Join(keys, "\n")})}}, nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/sync", greetings("v1"))
	mux.HandleFunc("POST /v2/sync", greetings("v2"))
	mux.HandleFunc("POST /finalize", hook(finalize))
	mux.HandleFunc("POST /decorate", hook(decorate))
	mux.HandleFunc("POST /related/customize", hook(customize))
	mux.HandleFunc("POST /related/sync", hook(related))
	mux.HandleFunc("POST /team/customize", hook(teamCustomize))
	mux.HandleFunc("POST /mirror/sync", hook(mirror))
	mux.HandleFunc("POST /mirror/finalize", hook(mirrorFinalize))
	mux.HandleFunc("POST /propagate/customize", hook(propagateCustomize))
	mux.HandleFunc("POST /propagate/sync", hook(propagateSync))
	mux.HandleFunc("POST /roll/sync", hook(roll))
	mux.HandleFunc("POST /team/sync", hook(teamSync))
	mux.HandleFunc("POST /bluegreen/sync", hook(blueGreen))
	mux.HandleFunc("POST /catset/sync", hook(catSetSync))
	mux.HandleFunc("POST /catset/finalize", hook(catSetFinalize))
	mux.HandleFunc("POST /daemonjob/sync", hook(daemonJob))
	mux.HandleFunc("POST /indexedjob/sync", hook(indexedJob))
	mux.HandleFunc("POST /crd-reader/sync", hook(crdReader))
	mux.HandleFunc("POST /bind-default/sync", hook(bindDefault))
	mux.HandleFunc("POST /secrets/customize", hook(secretCustomize))
	mux.HandleFunc("POST /secrets/sync", hook(secretSync))
	mux.HandleFunc("POST /list/sync", hook(list))
	mux.HandleFunc("POST /service-per-pod/sync", hook(servicePerPod))
	mux.HandleFunc("POST /service-per-pod/finalize", hook(servicePerPodFinalize))
	mux.HandleFunc("POST /configmaps-in/customize", hook(configMapsIn))
	mux.HandleFunc("POST /namespaces-labelled/customize", hook(namespacesLabelled))
	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("{\"listening\": %q}\n", listener.Addr().String())
	if err := http.Serve(listener, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
