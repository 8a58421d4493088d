// Types of java-partitioner.js.
export declare function javaCompatiblePartitioner(message: unknown, key: Buffer | undefined): number;
