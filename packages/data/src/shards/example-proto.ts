// The TensorFlow Example protos (a subset, field for field) as text for protobufjs; the same text as
// tensorflow-example.proto next to this file (a test checks that the two are identical).
import protobuf from 'protobufjs';

export const TENSORFLOW_EXAMPLE_PROTO = `// The subset of TensorFlow's Example protos that TFRecord shards use, field for field:
// tensorflow/core/example/feature.proto (BytesList .. FeatureLists) and
// tensorflow/core/example/example.proto (Example, SequenceExample). Comments and options dropped.
// example-proto.ts embeds this text (a test checks that the two are identical).
syntax = "proto3";

package tensorflow;

message BytesList {
  repeated bytes value = 1;
}
message FloatList {
  repeated float value = 1 [packed = true];
}
message Int64List {
  repeated int64 value = 1 [packed = true];
}

message Feature {
  oneof kind {
    BytesList bytes_list = 1;
    FloatList float_list = 2;
    Int64List int64_list = 3;
  }
}

message Features {
  map<string, Feature> feature = 1;
}

message FeatureList {
  repeated Feature feature = 1;
}

message FeatureLists {
  map<string, FeatureList> feature_list = 1;
}

message Example {
  Features features = 1;
}

message SequenceExample {
  Features context = 1;
  FeatureLists feature_lists = 2;
}
`;

let types: { SequenceExample: protobuf.Type; Example: protobuf.Type } | undefined;

/** `tensorflow.SequenceExample` and `tensorflow.Example`, parsed and looked up once (every record asks). */
export function exampleTypes(): { SequenceExample: protobuf.Type; Example: protobuf.Type } {
  if (!types) {
    const { root } = protobuf.parse(TENSORFLOW_EXAMPLE_PROTO, { keepCase: false });
    types = { SequenceExample: root.lookupType('tensorflow.SequenceExample'), Example: root.lookupType('tensorflow.Example') };
  }
  return types;
}
