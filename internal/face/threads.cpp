#include <opencv2/core.hpp>
#include "threads.h"

void face_set_num_threads(int n) { cv::setNumThreads(n); }
int face_get_num_threads(void) { return cv::getNumThreads(); }
