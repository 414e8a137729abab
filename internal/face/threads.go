package face

/*
#cgo pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
#include "threads.h"
*/
import "C"

// SetOpenCVThreads sets how many threads OpenCV's parallel loops may use,
// for the whole process; 1 makes every OpenCV call run on its caller's
// thread, so n detection workers use n cores and no more. gocv v0.31.0
// does not wrap cv::setNumThreads.
func SetOpenCVThreads(n int) { C.face_set_num_threads(C.int(n)) }

// OpenCVThreads returns OpenCV's current thread count.
func OpenCVThreads() int { return int(C.face_get_num_threads()) }
