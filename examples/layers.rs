// Scratch debugging tool (not committed): dumps the deepest LDI layer.
use photo3d::pipeline::{photo_scene, RunOptions};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let scene = photo_scene(std::path::Path::new(&args[1]), &RunOptions::default()).unwrap();
    let ldi = &scene.ldi;
    let (w, h) = (ldi.width, ldi.height);
    let mut back = image::RgbImage::new(w as u32, h as u32);
    let mut disp = image::GrayImage::new(w as u32, h as u32);
    let mut org = image::RgbImage::new(w as u32, h as u32);
    for p in 0..w * h {
        let (x, y) = ((p % w) as u32, (p / w) as u32);
        if let Some(n) = ldi.layers(p).last() {
            let n = n as usize;
            back.put_pixel(x, y, image::Rgb(ldi.colour[n]));
            disp.put_pixel(
                x,
                y,
                image::Luma([(255.0 * (1.0 / ldi.depth[n] / 3.0).sqrt().min(1.0)) as u8]),
            );
            let c = match ldi.origin[n] {
                1 => [0, 0, 0],
                2 => [255, 60, 60],
                3 => [60, 255, 60],
                5 => [60, 60, 255],
                _ => [255, 255, 0],
            };
            org.put_pixel(x, y, image::Rgb(c));
        }
    }
    let mut edges = image::RgbImage::new(w as u32, h as u32);
    for p in 0..w * h {
        let (x, y) = ((p % w) as u32, (p / w) as u32);
        let Some(n) = ldi.layers(p).next() else {
            continue;
        };
        let n = n as usize;
        let g = (ldi.colour[n][0] as u32 + ldi.colour[n][1] as u32 + ldi.colour[n][2] as u32) / 6;
        let mut c = [g as u8; 3];
        if ldi.origin[n] == 1 {
            for dir in 0..4 {
                if ldi.links[n][dir] == u32::MAX {
                    if let Some(q) = photo3d::ldi::neighbour_pixel(p, dir, w, h) {
                        if let Some(m) = ldi.layers(q).find(|&m| ldi.origin[m as usize] == 1) {
                            c = if ldi.depth[m as usize] > ldi.depth[n] {
                                [255, 0, 0]
                            } else {
                                [0, 160, 255]
                            };
                        }
                    }
                }
            }
        }
        edges.put_pixel(x, y, image::Rgb(c));
    }
    let o = &args[2];
    if args.len() > 3 {
        let t: Vec<f32> = args[3].split(',').map(|v| v.parse().unwrap()).collect();
        let mut l2 = scene.ldi.clone();
        for n in 0..l2.node_count() {
            let g = (l2.colour[n][0] as u32 + l2.colour[n][1] as u32 + l2.colour[n][2] as u32) / 3;
            let g = g as u8;
            l2.colour[n] = match l2.origin[n] {
                1 => [g / 2 + 40, g / 2 + 60, g / 2 + 90],
                2 => [255, g / 2, g / 2],
                3 => [g / 2, 255, g / 2],
                _ => [g / 2, g / 2, 255],
            };
        }
        let (pw, ph) = scene.prepared.rgb.dimensions();
        let mesh = photo3d::mesh::build_mesh(&l2, &scene.prepared.intrinsics, (pw, ph));
        let cam = photo3d::render::Camera::original(&scene.prepared.intrinsics, pw, ph)
            .posed([t[0], t[1], t[2]], 1.0);
        let img = photo3d::render::render(&photo3d::render::RenderMesh::coloured(&mesh), &cam, 2);
        img.save(format!("{o}_lab.png")).unwrap();
        let holes: Vec<(u32, u32)> = img
            .enumerate_pixels()
            .filter(|(x, y, p)| {
                p.0 == [128, 128, 128] && *x > 150 && *x < 550 && *y > 50 && *y < 300
            })
            .map(|(x, y, _)| (x, y))
            .collect();
        eprintln!("{} hole pixels", holes.len());
        if let Some(&(hx, hy)) = holes.get(holes.len() / 2) {
            eprintln!("probe {hx},{hy}");
            for y in [180usize, 186, 192] {
                for x in (290..350).step_by(4) {
                    let p = y * l2.width + x;
                    let ls: Vec<String> = l2
                        .layers(p)
                        .map(|n| {
                            format!(
                                "{}:{:.2}",
                                l2.origin[n as usize],
                                1.0 / l2.depth[n as usize]
                            )
                        })
                        .collect();
                    eprintln!("   canvas {x},{y}: {}", ls.join(" "));
                }
            }
            let k = &scene.prepared.intrinsics;
            let nodes = photo3d::mesh::vertex_nodes(&l2);
            for (vi, p) in mesh.positions.iter().enumerate() {
                let (x, y, z) = (p[0] + t[0], p[1] + t[1], p[2] + t[2]);
                let u = k.fx * x / z + k.cx;
                let v = k.fy * y / z + k.cy;
                if (u - hx as f32 - 0.5).abs() < 6.0 && (v - hy as f32 - 0.5).abs() < 6.0 {
                    let n = nodes[vi] as usize;
                    let (px, py) = l2.position(n);
                    let links: String = l2.links[n]
                        .iter()
                        .map(|&l| if l == u32::MAX { '.' } else { 'L' })
                        .collect();
                    eprintln!("  node {n} at canvas {px},{py} origin {} depth {:.3} disp {:.3} links {links} proj {u:.1},{v:.1}", l2.origin[n], l2.depth[n], 1.0 / l2.depth[n]);
                }
            }
        }
    }
    edges.save(format!("{o}_edges.png")).unwrap();
    back.save(format!("{o}_back.png")).unwrap();
    disp.save(format!("{o}_bdisp.png")).unwrap();
    org.save(format!("{o}_org.png")).unwrap();
    let d: Vec<f32> = (0..w * h)
        .filter_map(|p| ldi.layers(p).last())
        .map(|n| ldi.depth[n as usize])
        .collect();
    eprintln!(
        "depth min {} max {}",
        d.iter().cloned().fold(f32::MAX, f32::min),
        d.iter().cloned().fold(0.0, f32::max)
    );
}
