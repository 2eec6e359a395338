// A Go net/http hook server answering the PartitionGroup function's sync as the runtime's hook
// server does (functions/atomix-controller/partition-groups/partition-group.ts, ported for the
// bench only): POST /partition-groups/sync (and /sync) takes the whole request as JSON and
// answers the children and status; GET /healthz. The baseline bench/hooks.ts measures the
// TypeScript hook servers against.
//
//	go run . -addr 127.0.0.1:8080
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
)

const apiPort = 5678

type object = map[string]any

type request struct {
	Controller object                       `json:"controller"`
	Parent     object                       `json:"parent"`
	Children   map[string]map[string]object `json:"children"`
	Related    map[string]map[string]object `json:"related"`
	Finalizing bool                         `json:"finalizing"`
}

var protocolNames = []string{"raft", "primaryBackup", "log"}

func readyCondition(ready bool, reason, message string) object {
	status := "False"
	if ready {
		status = "True"
	}
	return object{"type": "Ready", "status": status, "reason": reason, "message": message}
}

func number(value any, fallback float64) float64 {
	if n, ok := value.(float64); ok {
		return n
	}
	return fallback
}

func partitionLabels(group string, index int) object {
	return object{"app": "atomix", "type": "partition", "group": group, "partition": fmt.Sprint(index)}
}

func groupLabels(group string) object {
	return object{"app": "atomix", "type": "group", "group": group}
}

// unchangedChildren restates the current children without status or server-set metadata.
func unchangedChildren(children map[string]map[string]object) []object {
	out := []object{}
	for _, byName := range children {
		for _, child := range byName {
			kept := object{}
			for key, value := range child {
				if key != "status" && key != "metadata" {
					kept[key] = value
				}
			}
			metadata, _ := child["metadata"].(object)
			keptMetadata := object{"name": metadata["name"]}
			for _, key := range []string{"labels", "annotations"} {
				if metadata[key] != nil {
					keptMetadata[key] = metadata[key]
				}
			}
			kept["metadata"] = keptMetadata
			out = append(out, kept)
		}
	}
	return out
}

func syncPartitionGroup(req request) (object, error) {
	metadata, _ := req.Parent["metadata"].(object)
	name, _ := metadata["name"].(string)
	namespace, _ := metadata["namespace"].(string)
	spec, _ := req.Parent["spec"].(object)
	if spec == nil {
		spec = object{}
	}
	partitions := int(number(spec["partitions"], 1))
	readyPartitions := 0
	for _, partition := range req.Children["Partition.k8s.atomix.io/v1alpha1"] {
		if status, ok := partition["status"].(object); ok && status["ready"] == true {
			readyPartitions++
		}
	}
	chosen := []string{}
	for _, protocol := range protocolNames {
		if spec[protocol] != nil {
			chosen = append(chosen, protocol)
		}
	}
	problem := ""
	if len(chosen) == 0 {
		problem = "spec must set exactly one protocol: raft, primaryBackup or log"
	} else if len(chosen) > 1 {
		problem = fmt.Sprintf("spec sets %s; set exactly one protocol", strings.Join(chosen, " and "))
	}
	var options object
	if problem == "" {
		options, _ = spec[chosen[0]].(object)
		if storage, ok := options["storage"].(object); ok {
			if className, _ := storage["className"].(string); className != "" {
				if _, found := req.Related["StorageClass.storage.k8s.io/v1"][className]; !found {
					problem = fmt.Sprintf("storage class %q does not exist: create it, or change spec.%s.storage.className", className, chosen[0])
				}
			}
		}
	}
	if problem != "" {
		return object{
			"children": unchangedChildren(req.Children),
			"status": object{"partitions": partitions, "readyPartitions": readyPartitions,
				"conditions": []object{readyCondition(false, "InvalidSpec", problem)}},
		}, nil
	}

	desired := []object{}
	services := req.Related["Service.v1"]
	endpoints := []object{}
	version, _ := spec["version"].(string)
	if version == "" {
		version = "latest"
	}
	for index := 1; index <= partitions; index++ {
		partition := fmt.Sprintf("%s-%d", name, index)
		partitionSpec := object{
			"group":         name,
			"partitionId":   index,
			"version":       version,
			"partitionSize": number(spec["partitionSize"], 1),
			chosen[0]:       options,
		}
		if spec["env"] != nil {
			partitionSpec["env"] = spec["env"]
		}
		if spec["resources"] != nil {
			partitionSpec["resources"] = spec["resources"]
		}
		desired = append(desired, object{
			"apiVersion": "k8s.atomix.io/v1alpha1",
			"kind":       "Partition",
			"metadata":   object{"name": partition, "labels": partitionLabels(name, index)},
			"spec":       partitionSpec,
		})
		if service, ok := services[namespace+"/"+partition]; ok {
			serviceSpec, _ := service["spec"].(object)
			if clusterIP, _ := serviceSpec["clusterIP"].(string); clusterIP != "" && clusterIP != "None" {
				endpoints = append(endpoints, object{"addresses": []string{clusterIP}, "hostname": partition,
					"conditions": object{"ready": true}})
			}
		}
	}
	ports := []object{{"name": "api", "port": apiPort, "protocol": "TCP"}}
	desired = append(desired, object{
		"apiVersion": "v1",
		"kind":       "Service",
		"metadata":   object{"name": name, "labels": groupLabels(name)},
		"spec":       object{"clusterIP": "None", "ports": ports},
	})
	sliceLabels := groupLabels(name)
	sliceLabels["kubernetes.io/service-name"] = name
	sliceLabels["endpointslice.kubernetes.io/managed-by"] = "atomix-controller"
	desired = append(desired, object{
		"apiVersion":  "discovery.k8s.io/v1",
		"kind":        "EndpointSlice",
		"metadata":    object{"name": name, "labels": sliceLabels},
		"addressType": "IPv4",
		"endpoints":   endpoints,
		"ports":       ports,
	})
	var condition object
	if readyPartitions == partitions {
		condition = readyCondition(true, "PartitionsReady", fmt.Sprintf("all %d partitions are ready", partitions))
	} else {
		condition = readyCondition(false, "PartitionsNotReady",
			fmt.Sprintf("%d of %d partitions are ready", readyPartitions, partitions))
	}
	return object{
		"children": desired,
		"status": object{"partitions": partitions, "readyPartitions": readyPartitions,
			"conditions": []object{condition}},
	}, nil
}

func answer(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func sync(w http.ResponseWriter, r *http.Request) {
	var req request
	body := http.MaxBytesReader(w, r.Body, 16<<20)
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			answer(w, http.StatusRequestEntityTooLarge, object{"error": "request body is too large"})
			return
		}
		answer(w, http.StatusBadRequest, object{"error": "request body is not JSON: " + err.Error()})
		return
	}
	response, err := syncPartitionGroup(req)
	if err != nil {
		answer(w, http.StatusInternalServerError, object{"error": err.Error()})
		return
	}
	answer(w, http.StatusOK, response)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("POST /partition-groups/sync", sync)
	mux.HandleFunc("POST /sync", sync)
	fmt.Fprintf(os.Stderr, "serving hooks on %s\n", *addr)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
