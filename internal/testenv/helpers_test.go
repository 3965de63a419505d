package testenv

import "github.com/minio/minio-go/v7"

func minioMakeLocked() minio.MakeBucketOptions { return minio.MakeBucketOptions{ObjectLocking: true} }
