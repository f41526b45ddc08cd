// The subset of the ONNX protobuf schema the loader reads, as a protobufjs reflection
// descriptor. Field numbers follow the ONNX IR specification (docs/IR.md); fields the
// engine never reads (training info, annotations, denotations) are omitted, which protobuf
// decoding tolerates by skipping unknown fields.
import protobuf from 'protobufjs';

const rep = 'repeated' as const;

const descriptor = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            refAttrName: { type: 'string', id: 21 },
            type: { type: 'int32', id: 20 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            sparseTensor: { type: 'SparseTensorProto', id: 22 },
            tp: { type: 'TypeProto', id: 14 },
            floats: { rule: rep, type: 'float', id: 7 },
            ints: { rule: rep, type: 'int64', id: 8 },
            strings: { rule: rep, type: 'bytes', id: 9 },
            tensors: { rule: rep, type: 'TensorProto', id: 10 },
            graphs: { rule: rep, type: 'GraphProto', id: 11 },
            typeProtos: { rule: rep, type: 'TypeProto', id: 15 },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: rep, type: 'string', id: 1 },
            output: { rule: rep, type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            domain: { type: 'string', id: 7 },
            overload: { type: 'string', id: 8 },
            attribute: { rule: rep, type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
            metadataProps: { rule: rep, type: 'StringStringEntryProto', id: 9 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: { rule: rep, type: 'OperatorSetIdProto', id: 8 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            metadataProps: { rule: rep, type: 'StringStringEntryProto', id: 14 },
            functions: { rule: rep, type: 'FunctionProto', id: 25 },
          },
        },
        StringStringEntryProto: {
          fields: {
            key: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: rep, type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: rep, type: 'TensorProto', id: 5 },
            sparseInitializer: { rule: rep, type: 'SparseTensorProto', id: 15 },
            docString: { type: 'string', id: 10 },
            input: { rule: rep, type: 'ValueInfoProto', id: 11 },
            output: { rule: rep, type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: rep, type: 'ValueInfoProto', id: 13 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: rep, type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: rep, type: 'float', id: 4 },
            int32Data: { rule: rep, type: 'int32', id: 5 },
            stringData: { rule: rep, type: 'bytes', id: 6 },
            int64Data: { rule: rep, type: 'int64', id: 7 },
            name: { type: 'string', id: 8 },
            docString: { type: 'string', id: 12 },
            rawData: { type: 'bytes', id: 9 },
            externalData: { rule: rep, type: 'StringStringEntryProto', id: 13 },
            dataLocation: { type: 'int32', id: 14 },
            doubleData: { rule: rep, type: 'double', id: 10 },
            uint64Data: { rule: rep, type: 'uint64', id: 11 },
          },
        },
        SparseTensorProto: {
          fields: {
            values: { type: 'TensorProto', id: 1 },
            indices: { type: 'TensorProto', id: 2 },
            dims: { rule: rep, type: 'int64', id: 3 },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: rep, type: 'Dimension', id: 1 } },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
              },
            },
          },
        },
        TypeProto: {
          oneofs: {
            value: {
              oneof: ['tensorType', 'sequenceType', 'mapType', 'optionalType', 'sparseTensorType'],
            },
          },
          fields: {
            tensorType: { type: 'TensorT', id: 1 },
            sequenceType: { type: 'SequenceT', id: 4 },
            mapType: { type: 'MapT', id: 5 },
            optionalType: { type: 'OptionalT', id: 9 },
            sparseTensorType: { type: 'TensorT', id: 8 },
          },
          nested: {
            TensorT: {
              fields: {
                elemType: { type: 'int32', id: 1 },
                shape: { type: 'TensorShapeProto', id: 2 },
              },
            },
            SequenceT: { fields: { elemType: { type: 'TypeProto', id: 1 } } },
            MapT: {
              fields: {
                keyType: { type: 'int32', id: 1 },
                valueType: { type: 'TypeProto', id: 2 },
              },
            },
            OptionalT: { fields: { elemType: { type: 'TypeProto', id: 1 } } },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: { type: 'string', id: 1 },
            version: { type: 'int64', id: 2 },
          },
        },
        FunctionProto: {
          fields: {
            name: { type: 'string', id: 1 },
            input: { rule: rep, type: 'string', id: 4 },
            output: { rule: rep, type: 'string', id: 5 },
            attribute: { rule: rep, type: 'string', id: 6 },
            attributeProto: { rule: rep, type: 'AttributeProto', id: 11 },
            node: { rule: rep, type: 'NodeProto', id: 7 },
            opsetImport: { rule: rep, type: 'OperatorSetIdProto', id: 9 },
            domain: { type: 'string', id: 10 },
            overload: { type: 'string', id: 13 },
          },
        },
        SequenceProto: {
          fields: {
            name: { type: 'string', id: 1 },
            elemType: { type: 'int32', id: 2 },
            tensorValues: { rule: rep, type: 'TensorProto', id: 3 },
            sequenceValues: { rule: rep, type: 'SequenceProto', id: 5 },
            optionalValues: { rule: rep, type: 'OptionalProto', id: 7 },
          },
        },
        OptionalProto: {
          fields: {
            name: { type: 'string', id: 1 },
            elemType: { type: 'int32', id: 2 },
            tensorValue: { type: 'TensorProto', id: 3 },
            sequenceValue: { type: 'SequenceProto', id: 5 },
            optionalValue: { type: 'OptionalProto', id: 7 },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);

export const ModelProto = root.lookupType('onnx.ModelProto');
export const TensorProto = root.lookupType('onnx.TensorProto');
export const SequenceProto = root.lookupType('onnx.SequenceProto');
export const OptionalProto = root.lookupType('onnx.OptionalProto');
