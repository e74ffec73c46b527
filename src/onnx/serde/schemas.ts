/** The one place the ONNX protobuf schema (generated from onnx.proto by the onnx-buf package) enters the code base. */
export * from 'onnx-buf';
export { create, fromBinary, toBinary, equals } from '@bufbuild/protobuf';
