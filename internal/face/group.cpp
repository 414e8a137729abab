#include <vector>
#include <opencv2/objdetect.hpp>
#include "group.h"

// face_group_rectangles groups the n rectangles in xywh (x, y, width,
// height each) with cv::groupRectangles, writes the groups over the first
// ones and returns how many there are: never more than n.
int face_group_rectangles(int *xywh, int n, int min_neighbors, double eps) {
    std::vector<cv::Rect> rects;
    rects.reserve(n);
    for (int i = 0; i < n; i++) {
        int *r = xywh + 4 * i;
        rects.push_back(cv::Rect(r[0], r[1], r[2], r[3]));
    }
    cv::groupRectangles(rects, min_neighbors, eps);
    for (size_t i = 0; i < rects.size(); i++) {
        int *r = xywh + 4 * i;
        r[0] = rects[i].x;
        r[1] = rects[i].y;
        r[2] = rects[i].width;
        r[3] = rects[i].height;
    }
    return (int)rects.size();
}
